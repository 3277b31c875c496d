using OrleansGate.Policy.Evaluation;
using OrleansGate.Policy.Loading;
using OrleansGate.Policy.Model;
using static OrleansGate.Policy.Tests.Classifiers;

namespace OrleansGate.Policy.Tests;

public sealed class PolicyEvaluatorTests
{
    private static PolicyDecision Decide(CompiledPolicy policy, string sql, PolicyIdentity? who = null, string target = "demo") =>
        PolicyEvaluator.Decide(policy, who ?? PolicyTestPolicies.Agent, target, Classify(sql));

    private static CompiledPolicy Load(string yaml) => PolicyLoader.Load(yaml, "t.yaml");

    [Fact]
    public void No_matching_rule_is_denied_with_the_policy_version()
    {
        var decision = Decide(PolicyTestPolicies.ReadOnly, "SELECT 1", new PolicyIdentity("x", ["outsiders"]));

        Assert.Equal(PolicyEffect.Deny, decision.Effect);
        Assert.Equal(PolicyEvaluator.NoMatchRule, decision.Rule);
        Assert.Equal("ro-1", decision.PolicyVersion);
    }

    [Fact]
    public void Read_by_group_member_is_allowed_naming_the_rule()
    {
        var decision = Decide(PolicyTestPolicies.ReadOnly, "SELECT * FROM public.orders");

        Assert.Equal(PolicyEffect.Allow, decision.Effect);
        Assert.Equal("agents-read", decision.Rule);
        Assert.Equal("ro-1", decision.PolicyVersion);
    }

    [Fact]
    public void Unparsable_statement_is_denied_even_under_allow_everything()
    {
        var policy = Load("rules:\n  - name: all\n    effect: allow\n    reason: x\n");

        var decision = Decide(policy, "SELEC 1");

        Assert.Equal(PolicyEffect.Deny, decision.Effect);
        Assert.Equal(PolicyEvaluator.UnparsableRule, decision.Rule);
    }

    [Theory]
    [InlineData("UPDATE orders SET status = 'x' WHERE id = 1", "approve-orders")]
    [InlineData("UPDATE public.orders SET status = 'x' WHERE id = 1", "approve-orders")]
    [InlineData("SELECT * FROM audit_log", "deny-audit")]
    [InlineData("SELECT * FROM secret.audit_log", "deny-audit")]
    [InlineData("UPDATE other.orders SET status = 'x' WHERE id = 1", "allow-writes")]
    [InlineData("SELECT * FROM orders_archive", "allow-writes")]
    public void An_unqualified_relation_is_touched_by_a_deny_or_approve_naming_it_in_any_schema(string sql, string rule)
    {
        // search_path decides which schema `orders` is: a rule on public.orders must not be passed by leaving it out.
        var policy = Load("""
            rules:
              - name: allow-writes
                effect: allow
                reason: ok
                match: { kinds: [read, write] }
              - name: approve-orders
                effect: approve
                reason: ask
                match: { kinds: [write], relations: ["public.orders"] }
                approval: { approvers: { groups: [dba] } }
              - name: deny-audit
                effect: deny
                reason: never
                match: { relations: ["*.audit_*"] }
            """);

        Assert.Equal(rule, Decide(policy, sql).Rule);
    }

    [Theory]
    [InlineData("SELECT audit_purge()", "deny-purge")]
    [InlineData("SELECT ops.audit_purge()", "deny-purge")]
    [InlineData("SELECT other.audit_purge()", "allow-reads")]
    public void An_unqualified_function_is_touched_by_a_deny_naming_it_in_any_schema(string sql, string rule)
    {
        var policy = Load("""
            rules:
              - name: allow-reads
                effect: allow
                reason: ok
                match: { kinds: [read], function_groups: [non_builtin] }
              - name: deny-purge
                effect: deny
                reason: never
                match: { functions: ["ops.audit_purge"] }
            """);

        Assert.Equal(rule, Decide(policy, sql).Rule);
    }

    [Fact]
    public void An_unqualified_relation_is_covered_by_an_allow_only_as_written()
    {
        var policy = Load("""
            rules:
              - name: public-reads
                effect: allow
                reason: ok
                match: { kinds: [read], relations: ["public.*"] }
            """);

        Assert.Equal("public-reads", Decide(policy, "SELECT * FROM public.orders").Rule);
        Assert.Equal(PolicyEvaluator.NoMatchRule, Decide(policy, "SELECT * FROM orders").Rule);
    }

    [Fact]
    public void Deny_overrides_approve_overrides_allow()
    {
        const string Rules = """
            rules:
              - name: allow-writes
                effect: allow
                reason: ok
                match: { kinds: [read, write] }
              - name: approve-orders
                effect: approve
                reason: ask
                match: { kinds: [write], relations: ["public.orders"] }
                approval: { approvers: { groups: [dba] } }
              - name: deny-audit
                effect: deny
                reason: never
                match: { relations: ["*.audit*"] }
            """;
        var policy = Load(Rules);

        Assert.Equal("allow-writes", Decide(policy, "INSERT INTO public.items VALUES (1)").Rule);
        Assert.Equal("approve-orders", Decide(policy, "INSERT INTO public.orders VALUES (1)").Rule);
        Assert.Equal(PolicyEffect.Approve, Decide(policy, "INSERT INTO public.orders VALUES (1)").Effect);
        var both = Decide(policy, "WITH x AS (INSERT INTO public.orders VALUES (1)) SELECT * FROM public.audit_log");
        Assert.Equal("deny-audit", both.Rule);
        Assert.Equal(PolicyEffect.Deny, both.Effect);
    }

    [Fact]
    public void Allow_rule_with_relation_globs_must_cover_every_relation()
    {
        var policy = Load("rules:\n  - name: pub\n    effect: allow\n    reason: x\n    match: { kinds: [read], relations: [\"public.*\"] }\n");

        Assert.True(Decide(policy, "SELECT * FROM public.a JOIN public.b USING (id)").IsAllowed);
        Assert.False(Decide(policy, "SELECT * FROM public.a JOIN secret.b USING (id)").IsAllowed);
    }

    [Fact]
    public void Allow_rule_does_not_allow_dangerous_functions_it_does_not_name()
    {
        Assert.False(Decide(PolicyTestPolicies.ReadOnly, "SELECT pg_read_file('/etc/passwd')").IsAllowed);

        var withGroup = Load("rules:\n  - name: files\n    effect: allow\n    reason: x\n    match: { function_groups: [file_access] }\n");
        Assert.True(Decide(withGroup, "SELECT pg_read_file('/etc/passwd')").IsAllowed);
    }

    [Fact]
    public void Deny_rule_by_function_group_matches_any_statement_calling_it()
    {
        var policy = Load("""
            rules:
              - name: all
                effect: allow
                reason: x
                match: { function_groups: [dblink] }
              - name: no-dblink
                effect: deny
                reason: dblink reaches other servers
                match: { function_groups: [dblink] }
            """);

        var decision = Decide(policy, "SELECT dblink_exec('host=x', 'DROP TABLE t')");

        Assert.Equal("no-dblink", decision.Rule);
        Assert.Equal("dblink reaches other servers", decision.Reason);
    }

    [Fact]
    public void Unbounded_write_guardrail_denies_delete_without_where_but_not_with_where()
    {
        var policy = Load("guardrails:\n  unbounded_write: deny\nrules:\n  - name: w\n    effect: allow\n    reason: x\n    match: { kinds: [write] }\n");

        Assert.Equal("guardrail:unbounded_write", Decide(policy, "DELETE FROM t").Rule);
        Assert.Equal("guardrail:unbounded_write", Decide(policy, "UPDATE t SET a = 1").Rule);
        Assert.True(Decide(policy, "DELETE FROM t WHERE id = 1").IsAllowed);
    }

    [Fact]
    public void Subject_claims_and_target_must_all_match()
    {
        var policy = Load("""
            rules:
              - name: r
                effect: allow
                reason: x
                match: { subjects: ["agent-*"], claims: { team: data }, targets: [demo], kinds: [read] }
            """);
        var withClaim = new PolicyIdentity("agent-1", [], new Dictionary<string, IReadOnlyList<string>> { ["team"] = ["data"] });

        Assert.True(Decide(policy, "SELECT 1", withClaim).IsAllowed);
        Assert.False(Decide(policy, "SELECT 1", withClaim, target: "prod").IsAllowed);
        Assert.False(Decide(policy, "SELECT 1", withClaim with { Subject = "human-1" }).IsAllowed);
        Assert.False(Decide(policy, "SELECT 1", new PolicyIdentity("agent-1", [])).IsAllowed);
    }

    [Fact]
    public void Allow_rule_without_kinds_allows_any_parsed_statement_without_dangerous_functions()
    {
        var policy = Load("rules:\n  - name: all\n    effect: allow\n    reason: x\n");

        Assert.True(Decide(policy, "DROP TABLE t").IsAllowed);
        Assert.False(Decide(policy, "SELECT lo_import('/etc/passwd')").IsAllowed);
    }

    [Fact]
    public void Sample_policy_refuses_order_writes_with_approval_reason_and_allows_reads()
    {
        var policy = PolicyLoader.LoadFile(PolicyTestPolicies.SamplePath);

        var write = Decide(policy, "UPDATE public.orders SET status = 'x' WHERE id = 1");
        Assert.Equal(PolicyEffect.Approve, write.Effect);
        Assert.Equal("orders-writes-need-approval", write.Rule);
        Assert.True(Decide(policy, "SELECT * FROM public.orders").IsAllowed);
        Assert.Equal("no-identity-changes", Decide(policy, "SET ROLE postgres").Rule);
    }
}
