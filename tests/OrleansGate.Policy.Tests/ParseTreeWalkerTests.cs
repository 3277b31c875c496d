using System.Text.Json;
using OrleansGate.Policy.Classification;

namespace OrleansGate.Policy.Tests;

/// <summary>Trees the installed parser cannot produce, to show that nothing unknown passes as harmless.</summary>
public sealed class ParseTreeWalkerTests
{
    [Fact]
    public void Unknown_statement_node_is_the_most_restrictive_kind() =>
        Assert.Equal(StatementKind.Other, Walk("""{"FrobnicateStmt":{}}""").Kinds);

    [Fact]
    public void Unknown_statement_node_still_reports_what_is_nested_in_it()
    {
        var info = Walk("""{"FutureStmt":{"inner":{"DeleteStmt":{"relation":{"relname":"t"}}}}}""");

        Assert.Equal(StatementKind.Other | StatementKind.Write, info.Kinds);
        Assert.Equal(["t"], info.RelationsWritten);
        Assert.True(info.HasUnboundedWrite);
    }

    [Fact]
    public void Unknown_expression_node_does_not_hide_a_dangerous_call()
    {
        var info = Walk("""
            {"SelectStmt":{"targetList":[{"FutureExpr":{"arg":{"FuncCall":{"funcname":[{"String":{"sval":"pg_read_file"}}]}}}}]}}
            """);

        Assert.Contains(DangerousFunctionGroups.FileAccess, info.DangerousFunctionGroups);
        Assert.True(info.Kinds.HasFlag(StatementKind.Admin));
    }

    [Fact]
    public void Statement_node_that_adds_nothing_is_not_treated_as_harmless() =>
        Assert.Equal(StatementKind.Other, Walk("""{"NotAStatement":{}}""").Kinds);

    private static StatementInfo Walk(string json)
    {
        using var document = JsonDocument.Parse(json);
        return ParseTreeWalker.Classify(document.RootElement, out _);
    }
}
