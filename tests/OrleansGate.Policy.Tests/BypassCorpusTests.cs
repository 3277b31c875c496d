using OrleansGate.Policy.Classification;
using static OrleansGate.Policy.Tests.Classifiers;

namespace OrleansGate.Policy.Tests;

public sealed class BypassCorpusTests
{
    [Fact]
    public void Corpus_has_at_least_sixty_statements() =>
        Assert.True(BypassCorpus.Statements.Count >= 60, $"{BypassCorpus.Statements.Count} statements");

    [Theory]
    [MemberData(nameof(BypassCorpus.Statements), MemberType = typeof(BypassCorpus))]
    public void Bypass_attempt_is_not_a_pure_read(string sql, StatementKind expectedKind, string? expectedGroup)
    {
        var classification = Classify(sql);

        Assert.True(classification.Parsed, classification.ParseError);
        Assert.False(classification.IsPureRead);
        Assert.True(
            (classification.Kinds & expectedKind) == expectedKind,
            $"expected {expectedKind} within {classification.Kinds}");
        if (expectedGroup is not null)
        {
            Assert.Contains(expectedGroup, classification.DangerousFunctionGroups);
        }
    }

    [Fact]
    public void Delete_in_cte_is_a_write()
    {
        var classification = Classify("WITH d AS (DELETE FROM s.t RETURNING *) SELECT * FROM d");

        Assert.Equal(StatementKind.Read | StatementKind.Write, classification.Kinds);
        Assert.Equal(["s.t"], classification.RelationsWritten);
    }

    [Fact]
    public void Explain_analyze_delete_is_a_write() =>
        Assert.True(Classify("EXPLAIN ANALYZE DELETE FROM t").Kinds.HasFlag(StatementKind.Write));

    [Fact]
    public void Copy_of_a_delete_returning_to_stdout_is_a_write()
    {
        var classification = Classify("COPY (DELETE FROM t RETURNING *) TO STDOUT");

        Assert.Equal(StatementKind.Read | StatementKind.Write, classification.Kinds);
        Assert.Empty(classification.DangerousFunctionGroups);
    }

    [Fact]
    public void Copy_to_program_is_admin_in_the_program_group()
    {
        var classification = Classify("COPY t TO PROGRAM 'sh -c id'");

        Assert.True(classification.Kinds.HasFlag(StatementKind.Admin));
        Assert.Equal([DangerousFunctionGroups.Program], classification.DangerousFunctionGroups);
    }

    [Fact]
    public void Set_config_of_role_is_a_role_change_in_the_config_group()
    {
        var classification = Classify("SELECT set_config('role', 'postgres', false)");

        Assert.True(classification.Kinds.HasFlag(StatementKind.RoleChange));
        Assert.Contains(DangerousFunctionGroups.Config, classification.DangerousFunctionGroups);
    }

    [Fact]
    public void Prepare_classifies_its_inner_statement_and_execute_is_procedural()
    {
        var classification = Classify("PREPARE p AS DELETE FROM t; EXECUTE p");

        Assert.Equal(StatementKind.Procedural | StatementKind.Write, classification.Statements[0].Kinds);
        Assert.Equal(StatementKind.Procedural, classification.Statements[1].Kinds);
    }

    [Fact]
    public void Select_for_update_is_a_read_that_locks()
    {
        var classification = Classify("SELECT * FROM orders o JOIN users u ON u.id = o.uid FOR UPDATE OF o");

        Assert.Equal(StatementKind.Read | StatementKind.Lock, classification.Kinds);
        Assert.Equal(["o"], classification.RelationsLocked);
    }

    [Fact]
    public void Nextval_is_a_write_to_the_sequence()
    {
        var classification = Classify("SELECT nextval('app.order_seq'::regclass)");

        Assert.Equal(StatementKind.Read | StatementKind.Write, classification.Kinds);
        Assert.Equal(["app.order_seq"], classification.RelationsWritten);
    }

    [Fact]
    public void Select_into_creates_and_writes_a_table()
    {
        var classification = Classify("SELECT * INTO x FROM t");

        Assert.Equal(StatementKind.Read | StatementKind.Write | StatementKind.Ddl, classification.Kinds);
        Assert.Equal(["x"], classification.RelationsWritten);
        Assert.Equal(["t"], classification.RelationsRead);
    }

    [Fact]
    public void Do_block_is_procedural_whatever_its_body_says() =>
        Assert.Equal(StatementKind.Procedural, Classify("DO $$ BEGIN PERFORM 1; END $$").Kinds);
}
