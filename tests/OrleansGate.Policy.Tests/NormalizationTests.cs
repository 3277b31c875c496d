using static OrleansGate.Policy.Tests.Classifiers;

namespace OrleansGate.Policy.Tests;

public sealed class NormalizationTests
{
    [Fact]
    public void Normalization_hides_literals()
    {
        var classification = Classify("SELECT * FROM users WHERE email='a@b.c'");

        Assert.DoesNotContain("a@b.c", classification.NormalizedSql, StringComparison.Ordinal);
        Assert.Equal("SELECT * FROM users WHERE email=$1", classification.NormalizedSql);
    }

    [Theory]
    [InlineData("CALL set_password('hunter2')")]
    [InlineData("PREPARE p AS SELECT * FROM cards WHERE number = 'hunter2'")]
    [InlineData("CREATE VIEW v AS SELECT 'hunter2' AS secret")]
    [InlineData("CREATE TABLE t AS SELECT 'hunter2'")]
    [InlineData("COPY t FROM PROGRAM 'echo hunter2'")]
    [InlineData("ALTER ROLE bob PASSWORD 'hunter2'")]
    [InlineData("DO $$ BEGIN PERFORM 'hunter2'; END $$")]
    [InlineData("SELECT 1 -- hunter2")]
    [InlineData("SELECT /* hunter2 */ 1")]
    [InlineData("CALL p(E'hunter2', $q$hunter2$q$, U&'hunter2', B'1010')")]
    public void Literals_the_normalizer_keeps_and_comments_are_redacted(string sql)
    {
        var classification = Classify(sql);

        Assert.True(classification.Parsed, classification.ParseError);
        Assert.DoesNotContain("hunter2", classification.NormalizedSql, StringComparison.Ordinal);
    }

    [Fact]
    public void Redacted_placeholders_continue_after_the_normalizers()
    {
        Assert.Equal("CALL p($1, $2)", Classify("CALL p('a', 42)").NormalizedSql);
        Assert.Equal("SELECT $1 /**/", Classify("SELECT 1 /* secret */").NormalizedSql);
    }

    [Fact]
    public void Fingerprint_is_equal_for_statements_differing_only_in_literals()
    {
        var first = Classify("SELECT * FROM users WHERE email = 'a@b.c' AND id = 1");
        var second = Classify("select * from users where email = 'x@y.z' and id = 2");
        var other = Classify("SELECT * FROM orders WHERE email = 'a@b.c' AND id = 1");

        Assert.Matches("^[0-9a-f]{16}$", first.Fingerprint);
        Assert.Equal(first.Fingerprint, second.Fingerprint);
        Assert.NotEqual(first.Fingerprint, other.Fingerprint);
    }

    [Fact]
    public void Fingerprint_is_equal_for_a_literal_and_a_parameter_in_the_same_place() =>
        Assert.Equal(
            Classify("DELETE FROM orders WHERE id = 42").Fingerprint,
            Classify("DELETE FROM orders WHERE id = $1").Fingerprint);

    [Fact]
    public void Fingerprint_does_not_depend_on_what_was_classified_before()
    {
        var warm = new Policy.Classification.SqlClassifier();
        warm.Classify("UPDATE t SET a = $1 WHERE id = $2");
        var cold = new Policy.Classification.SqlClassifier();

        Assert.Equal(
            cold.Classify("UPDATE t SET a = 1 WHERE id = 2").Fingerprint,
            warm.Classify("UPDATE t SET a = 1 WHERE id = 2").Fingerprint);
    }

    [Fact]
    public void Unparsed_text_has_no_normalized_text_and_no_fingerprint()
    {
        var classification = Classify("SELEC 'secret'");

        Assert.Equal("", classification.NormalizedSql);
        Assert.Equal("", classification.Fingerprint);
    }
}
