using OrleansGate.Model;
using OrleansGate.Policy.Classification;
using OrleansGate.Policy.Loading;
using OrleansGate.Policy.Model;

namespace OrleansGate.Policy.Tests;

public sealed class PolicyLoaderTests
{
    [Fact]
    public void Rule_fields_are_loaded()
    {
        var policy = PolicyLoader.Load(
            """
            version: v7
            rules:
              - name: r1
                effect: approve
                reason: ask first
                match:
                  subjects: ["agent-*"]
                  groups: [agents]
                  claims: { team: data }
                  targets: [demo]
                  kinds: [write, ddl]
                  relations: ["public.*"]
                  functions: [now]
                  function_groups: [dblink]
                approval: { approvers: { groups: [dba, leads] }, required: 2, mode: retry, timeout: 90s, reuse: shape, max_reuse: 2h }
            """,
            "p.yaml");

        Assert.Equal("v7", policy.Version);
        var rule = Assert.Single(policy.Rules);
        Assert.Equal(PolicyEffect.Approve, rule.Effect);
        Assert.Equal(StatementKind.Write | StatementKind.Ddl, rule.Kinds);
        Assert.Equal(["agent-*"], rule.Subjects);
        Assert.Equal("data", rule.Claims["team"]);
        Assert.Equal(["public.*"], rule.Relations);
        Assert.Equal(["dblink"], rule.FunctionGroups);
        Assert.Equal(3, rule.Line);
        var terms = rule.Approval!;
        Assert.Equal(["dba", "leads"], terms.ApproverGroups);
        Assert.Equal((2, ApprovalMode.Retry, TimeSpan.FromSeconds(90), ApprovalReuse.Shape, TimeSpan.FromHours(2)),
            (terms.Required, terms.Mode, terms.Timeout, terms.Reuse, terms.MaxReuseWindow));
    }

    [Fact]
    public void Approval_settings_default_to_one_approver_waiting_ten_minutes_for_one_request()
    {
        var rule = Assert.Single(PolicyLoader.Load(
            "rules:\n  - name: r\n    effect: approve\n    reason: x\n    approval: { approvers: { groups: [dba] } }\n", "p.yaml").Rules);

        Assert.Equal(1, rule.Approval!.Required);
        Assert.Equal(ApprovalMode.Wait, rule.Approval.Mode);
        Assert.Equal(TimeSpan.FromMinutes(10), rule.Approval.Timeout);
        Assert.Equal(ApprovalReuse.None, rule.Approval.Reuse);
        Assert.Equal(TimeSpan.Zero, rule.Approval.MaxReuseWindow);
    }

    [Fact]
    public void Guardrail_becomes_a_rule_matching_only_unbounded_writes()
    {
        var policy = PolicyLoader.Load("guardrails:\n  unbounded_write: deny\nrules: []\n", "p.yaml");

        var rule = Assert.Single(policy.Rules);
        Assert.True(rule.UnboundedWriteOnly);
        Assert.Equal(PolicyEffect.Deny, rule.Effect);
    }

    [Fact]
    public void Version_defaults_to_a_content_hash_that_changes_with_the_text()
    {
        var a = PolicyLoader.Load("rules: []\n", "p.yaml");
        var b = PolicyLoader.Load("rules: []\n# changed\n", "p.yaml");

        Assert.StartsWith("sha256:", a.Version, StringComparison.Ordinal);
        Assert.NotEqual(a.Version, b.Version);
    }

    [Theory]
    [InlineData("rules:\n  - name: r\n    efect: deny\n    reason: x\n", 3, "unknown rule key 'efect'")]
    [InlineData("rules:\n  - name: r\n    effect: maybe\n    reason: x\n", 3, "effect must be allow, deny or approve")]
    [InlineData("rules:\n  - name: r\n    effect: deny\n", 2, "needs a 'reason'")]
    [InlineData("rules:\n  - effect: deny\n    reason: x\n", 2, "needs a 'name'")]
    [InlineData("rules:\n  - name: r\n    effect: deny\n    reason: x\n    match:\n      kinds: [writes]\n", 6, "unknown statement kind 'writes'")]
    [InlineData("rules:\n  - name: r\n    effect: deny\n    reason: x\n    match:\n      function_groups: [files]\n", 6, "unknown function group 'files'")]
    [InlineData("rules:\n  - name: r\n    effect: deny\n    reason: x\n  - name: r\n    effect: deny\n    reason: y\n", 5, "duplicate rule name 'r'")]
    [InlineData("version: 1\n", 1, "missing 'rules'")]
    [InlineData("rules:\n  - name: r\n    effect: approve\n    reason: x\n", 2, "has effect approve but no 'approval'")]
    [InlineData("rules:\n  - name: r\n    effect: deny\n    reason: x\n    approval: { approvers: { groups: [dba] } }\n", 5, "has 'approval' but its effect is deny")]
    [InlineData("rules:\n  - name: r\n    effect: approve\n    reason: x\n    approval: { required: 2 }\n", 5, "needs 'approvers'")]
    [InlineData("rules:\n  - name: r\n    effect: approve\n    reason: x\n    approval: { approvers: { groups: [] } }\n", 5, "needs at least one group")]
    [InlineData("rules:\n  - name: r\n    effect: approve\n    reason: x\n    approval: { approvers: { users: [a] } }\n", 5, "unknown approvers key 'users'")]
    [InlineData("rules:\n  - name: r\n    effect: approve\n    reason: x\n    approval: { approvers: { groups: [dba] }, required: 0 }\n", 5, "'required' must be a whole number from 1 to 10")]
    [InlineData("rules:\n  - name: r\n    effect: approve\n    reason: x\n    approval: { approvers: { groups: [dba] }, mode: later }\n", 5, "'mode' must be wait or retry")]
    [InlineData("rules:\n  - name: r\n    effect: approve\n    reason: x\n    approval: { approvers: { groups: [dba] }, timeout: 10 }\n", 5, "'timeout' must be a duration")]
    [InlineData("rules:\n  - name: r\n    effect: approve\n    reason: x\n    approval: { approvers: { groups: [dba] }, timeout: 2d }\n", 5, "from 1s to 1d")]
    [InlineData("rules:\n  - name: r\n    effect: approve\n    reason: x\n    approval: { approvers: { groups: [dba] }, reuse: always }\n", 5, "'reuse' must be none, exact or shape")]
    [InlineData("rules:\n  - name: r\n    effect: approve\n    reason: x\n    approval: { approvers: { groups: [dba] }, max_reuse: 1h }\n", 5, "'max_reuse' needs 'reuse' exact or shape")]
    [InlineData("rules:\n  - name: r\n    effect: approve\n    reason: x\n    approval: { approvers: { groups: [dba] }, quorum: 2 }\n", 5, "unknown approval key 'quorum'")]
    [InlineData("rules: [\n", 2, "not valid YAML")]
    [InlineData("rule: []\n", 1, "unknown key 'rule'")]
    [InlineData("guardrails:\n  no_where: deny\nrules: []\n", 2, "unknown guardrail 'no_where'")]
    public void Invalid_policy_error_names_file_line_and_problem(string yaml, int line, string problem)
    {
        var e = Assert.Throws<PolicyLoadException>(() => PolicyLoader.Load(yaml, "bad.yaml"));

        Assert.Equal(line, e.Line);
        Assert.Contains(problem, e.Problem, StringComparison.Ordinal);
        Assert.StartsWith($"bad.yaml:{line}: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_file_is_a_load_error_naming_the_file()
    {
        var path = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N") + ".yaml");

        var e = Assert.Throws<PolicyLoadException>(() => PolicyLoader.LoadFile(path));

        Assert.Equal(path, e.Source);
        Assert.Contains("cannot read", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Sample_policy_in_deploy_local_loads()
    {
        var policy = PolicyLoader.LoadFile(PolicyTestPolicies.SamplePath);

        Assert.Equal("demo-1", policy.Version);
        Assert.Contains(policy.Rules, r => r.Effect == PolicyEffect.Approve);
        Assert.Contains(policy.Rules, r => r.UnboundedWriteOnly);
    }
}
