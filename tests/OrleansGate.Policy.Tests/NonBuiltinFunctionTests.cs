using OrleansGate.Policy.Classification;
using OrleansGate.Policy.Evaluation;
using static OrleansGate.Policy.Tests.Classifiers;
using G = OrleansGate.Policy.Classification.DangerousFunctionGroups;

namespace OrleansGate.Policy.Tests;

/// <summary>Functions that are not PostgreSQL built-ins run user code the classifier cannot see: group non_builtin.</summary>
public sealed class NonBuiltinFunctionTests
{
    [Theory]
    [InlineData("SELECT purge_orders()")]
    [InlineData("SELECT * FROM purge_orders()")]
    [InlineData("SELECT public.lower('A')")]
    [InlineData("SELECT myschema.now()")]
    [InlineData("SELECT id FROM orders WHERE is_stale(id)")]
    [InlineData("CALL archive_orders()")]
    [InlineData("SELECT otherdb.pg_catalog.lower('A')")]
    [InlineData("SELECT \"Lower\"('A')")]
    public void Call_of_a_function_that_is_not_a_builtin_is_in_the_non_builtin_group(string sql) =>
        Assert.Contains(G.NonBuiltin, Classify(sql).DangerousFunctionGroups);

    [Theory]
    [InlineData("SELECT lower('A'), now(), count(*) FROM orders")]
    [InlineData("SELECT pg_catalog.format_type(23, -1)")]
    [InlineData("SELECT * FROM generate_series(1, 3)")]
    [InlineData("SELECT string_agg(name, ',') OVER (ORDER BY id) FROM customers")]
    [InlineData("SELECT jsonb_build_object('a', 1), coalesce(null, 1), current_date")]
    public void Builtin_calls_are_not_in_the_non_builtin_group(string sql) =>
        Assert.DoesNotContain(G.NonBuiltin, Classify(sql).DangerousFunctionGroups);

    [Theory]
    [InlineData("SELECT cron.schedule('nightly', '0 3 * * *', 'DROP TABLE orders')")]
    [InlineData("SELECT cron.schedule_in_database('x', '* * * * *', 'DELETE FROM orders', 'demo')")]
    [InlineData("SELECT pg_background_launch('DELETE FROM orders')")]
    [InlineData("SELECT run_command_on_workers('DROP TABLE orders')")]
    public void Extension_sql_runners_are_dynamic_sql(string sql)
    {
        var groups = Classify(sql).DangerousFunctionGroups;

        Assert.Contains(G.DynamicSql, groups);
        Assert.Contains(G.NonBuiltin, groups);
    }

    [Fact]
    public void Read_only_policy_refuses_a_user_function_and_an_allow_rule_naming_the_group_allows_it()
    {
        var allowing = Loading.PolicyLoader.Load("rules:\n  - name: r\n    effect: allow\n    reason: x\n    match: { kinds: [read], function_groups: [non_builtin] }\n", "t.yaml");

        Assert.False(PolicyEvaluator.Decide(PolicyTestPolicies.ReadOnly, PolicyTestPolicies.Agent, "demo", Classify("SELECT purge_orders()")).IsAllowed);
        Assert.True(PolicyEvaluator.Decide(allowing, PolicyTestPolicies.Agent, "demo", Classify("SELECT purge_orders()")).IsAllowed);
    }

    [Fact]
    public void Builtin_list_is_loaded_with_names_exactly_as_in_pg_proc()
    {
        Assert.True(BuiltinFunctions.Names.Count > 2000, $"{BuiltinFunctions.Names.Count} names");
        Assert.Contains("pg_read_file", BuiltinFunctions.Names);
        Assert.Contains("RI_FKey_check_ins", BuiltinFunctions.Names);
        Assert.DoesNotContain("ri_fkey_check_ins", BuiltinFunctions.Names);
    }
}
