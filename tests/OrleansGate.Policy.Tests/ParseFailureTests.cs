using OrleansGate.Policy.Classification;
using static OrleansGate.Policy.Tests.Classifiers;

namespace OrleansGate.Policy.Tests;

public sealed class ParseFailureTests
{
    [Theory]
    [InlineData("selec 1")]
    [InlineData("DELETE FROM")]
    [InlineData("SELECT 'unterminated")]
    [InlineData("SELECT $$unterminated")]
    [InlineData("/* unterminated comment DELETE FROM t")]
    [InlineData("SELECT 1; DROP TABLE")]
    [InlineData(")(")]
    [InlineData("SELECT * FROM t WHERE")]
    [InlineData("DROP TABLE t CASCADE RESTRICT")]
    [InlineData("\u0001\u0002 garbage \u00ff")]
    public void Unparsable_text_is_refused_not_guessed(string sql)
    {
        var classification = Classify(sql);

        Assert.False(classification.Parsed);
        Assert.False(string.IsNullOrEmpty(classification.ParseError));
        Assert.Equal(StatementKind.Other, classification.Kinds);
        Assert.Empty(classification.Statements);
        Assert.False(classification.IsPureRead);
    }

    [Fact]
    public void Parse_error_reports_the_position()
    {
        var classification = Classify("SELECT * FORM t");

        Assert.Equal(10, classification.ParseErrorPosition);
        Assert.Equal("syntax error at or near \"FORM\" (position 10)", classification.ParseError);
    }

    [Fact]
    public void Text_after_a_nul_character_is_never_hidden_from_the_parser()
    {
        var classification = Classify("SELECT 1\0; DROP TABLE t");

        Assert.False(classification.Parsed);
        Assert.Equal(9, classification.ParseErrorPosition);
    }

    [Fact]
    public void Invalid_utf16_is_refused() => Assert.False(Classify("SELECT '\uD800'").Parsed);

    [Fact]
    public void Very_deep_nesting_is_refused_without_crashing()
    {
        var classification = Classify("SELECT " + string.Join("+", Enumerable.Repeat("1", 5000)));

        Assert.False(classification.Parsed);
        Assert.Equal(StatementKind.Other, classification.Kinds);
    }

    [Fact]
    public void Moderately_deep_nesting_is_classified()
    {
        var classification = Classify("SELECT " + string.Join("+", Enumerable.Repeat("1", 400)) + " FROM t");

        Assert.True(classification.Parsed, classification.ParseError);
        Assert.Equal(StatementKind.Read, classification.Kinds);
    }

    [Fact]
    public void Empty_and_comment_only_text_has_no_statements()
    {
        foreach (var sql in new[] { "", "   ", "-- nothing", "/* nothing */ ;" })
        {
            var classification = Classify(sql);
            Assert.True(classification.Parsed);
            Assert.Empty(classification.Statements);
            Assert.Equal(StatementKind.None, classification.Kinds);
        }
    }
}
