using OrleansGate.Policy.Classification;
using static OrleansGate.Policy.Tests.Classifiers;

namespace OrleansGate.Policy.Tests;

public sealed class StatementSplitTests
{
    [Fact]
    public void Every_statement_of_a_multi_statement_string_is_classified()
    {
        var classification = Classify("SELECT 1; DELETE FROM t WHERE id = 2;\nSET ROLE postgres");

        Assert.Equal(["SelectStmt", "DeleteStmt", "VariableSetStmt"], classification.Statements.Select(s => s.NodeType));
        Assert.Equal(
            [StatementKind.Read, StatementKind.Write, StatementKind.RoleChange],
            classification.Statements.Select(s => s.Kinds));
    }

    [Fact]
    public void Non_ascii_names_survive_the_utf8_round_trip()
    {
        var classification = Classify("SELECT 'héllo wörld'; DELETE FROM tëst WHERE ü = 1");

        SetAssert.Equal(["tëst"], classification.RelationsWritten);
    }

    [Fact]
    public void Whole_text_kinds_are_the_union_of_its_statements()
    {
        var classification = Classify("SELECT * FROM a; INSERT INTO b VALUES (1); GRANT SELECT ON c TO d");

        Assert.Equal(StatementKind.Read | StatementKind.Write | StatementKind.Privilege, classification.Kinds);
        SetAssert.Equal(["b", "c"], classification.RelationsWritten);
        SetAssert.Equal(["a"], classification.RelationsRead);
    }
}
