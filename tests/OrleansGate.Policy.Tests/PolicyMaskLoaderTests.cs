using OrleansGate.Policy.Evaluation;
using OrleansGate.Policy.Loading;
using OrleansGate.Policy.Model;

namespace OrleansGate.Policy.Tests;

public sealed class PolicyMaskLoaderTests
{
    private const string Rules = "rules:\n  - name: r\n    effect: allow\n    reason: x\n";

    [Fact]
    public void Masks_are_loaded_with_their_match_columns_detectors_patterns_and_method()
    {
        var policy = PolicyLoader.Load(
            Rules + """
            masks:
              - name: pii
                match: { groups: [agents], targets: [demo] }
                columns: [public.customers.email, "*.*.card_*"]
                detectors: [email, card, employee_id]
                patterns: { employee_id: "E[0-9]{6}" }
                method: partial
                keep: 4
                derived: deny
                predicates: deny
              - name: secrets
                columns: [public.vault.secret]
                method: hash
                key_file: /etc/orleansgate/mask.key
            """,
            "p.yaml");

        Assert.Equal(2, policy.Masks.Count);
        var pii = policy.Masks[0];
        Assert.Equal("pii", pii.Name);
        Assert.Equal(["agents"], pii.Match.Groups);
        Assert.Equal(["demo"], pii.Match.Targets);
        Assert.Equal(["public.customers.email", "*.*.card_*"], pii.Columns);
        Assert.Equal(["email", "card", "employee_id"], pii.Detectors);
        Assert.Equal("E[0-9]{6}", pii.Patterns["employee_id"]);
        Assert.Equal((MaskMethod.Partial, 4, true, true), (pii.Method, pii.Keep, pii.DenyDerived, pii.DenyPredicates));
        var secrets = policy.Masks[1];
        Assert.Equal((MaskMethod.Hash, "/etc/orleansgate/mask.key", false, false), (secrets.Method, secrets.KeyFile, secrets.DenyDerived, secrets.DenyPredicates));
    }

    [Fact]
    public void First_mask_applies_by_identity_and_target_like_a_rule_s_match()
    {
        var policy = PolicyLoader.Load(Rules + "masks:\n  - name: m\n    match: { groups: [agents], targets: [demo] }\n    detectors: [email]\n    method: redact\n", "p.yaml");

        Assert.Equal("m", PolicyEvaluator.FirstMask(policy, new PolicyIdentity("agent-1", ["agents"]), "demo")?.Name);
        Assert.Null(PolicyEvaluator.FirstMask(policy, new PolicyIdentity("agent-1", ["agents"]), "other"));
        Assert.Null(PolicyEvaluator.FirstMask(policy, new PolicyIdentity("person", ["dba"]), "demo"));
        Assert.Empty(PolicyLoader.Load(Rules, "p.yaml").Masks);
    }

    [Theory]
    [InlineData("masks: {}\n", 5, "'masks' must be a list")]
    [InlineData("masks:\n  - columns: [a.b.c]\n    method: redact\n", 6, "mask needs a 'name'")]
    [InlineData("masks:\n  - name: m\n    method: redact\n", 6, "needs 'columns' or 'detectors'")]
    [InlineData("masks:\n  - name: m\n    columns: [customers.email]\n    method: redact\n", 7, "must be schema.table.column")]
    [InlineData("masks:\n  - name: m\n    detectors: [phone]\n    method: redact\n", 6, "unknown detector 'phone'")]
    [InlineData("masks:\n  - name: m\n    columns: [a.b.c]\n", 6, "needs a 'method'")]
    [InlineData("masks:\n  - name: m\n    columns: [a.b.c]\n    method: scramble\n", 6, "method must be redact, partial, hash or null")]
    [InlineData("masks:\n  - name: m\n    columns: [a.b.c]\n    method: partial\n", 6, "method partial needs 'keep'")]
    [InlineData("masks:\n  - name: m\n    columns: [a.b.c]\n    method: redact\n    keep: 4\n", 6, "'keep' is only for method partial")]
    [InlineData("masks:\n  - name: m\n    columns: [a.b.c]\n    method: partial\n    keep: 0\n", 9, "'keep' must be a whole number from 1 to 64")]
    [InlineData("masks:\n  - name: m\n    columns: [a.b.c]\n    method: hash\n", 6, "method hash needs its key by reference")]
    [InlineData("masks:\n  - name: m\n    columns: [a.b.c]\n    method: hash\n    key: s3cret\n", 9, "inline keys are not accepted")]
    [InlineData("masks:\n  - name: m\n    columns: [a.b.c]\n    method: hash\n    key_env: K\n    key_file: /k\n", 6, "one of them")]
    [InlineData("masks:\n  - name: m\n    columns: [a.b.c]\n    method: redact\n    derived: hide\n", 9, "'derived' must be mask or deny")]
    [InlineData("masks:\n  - name: m\n    columns: [a.b.c]\n    method: redact\n    predicates: maybe\n", 9, "'predicates' must be allow or deny")]
    [InlineData("masks:\n  - name: m\n    columns: [a.b.c]\n    method: redact\n    match: { kinds: [read] }\n", 9, "a mask matches on issuers, subjects, groups, claims and targets only, not 'kinds'")]
    [InlineData("masks:\n  - name: m\n    detectors: [x]\n    patterns: { x: \"(a)\\\\1\" }\n    method: redact\n", 8, "pattern 'x' cannot be used")]
    [InlineData("masks:\n  - name: m\n    detectors: [email]\n    patterns: { x: \"a+\" }\n    method: redact\n", 6, "pattern 'x' is not listed under 'detectors'")]
    [InlineData("masks:\n  - name: m\n    detectors: [email]\n    method: redact\n  - name: m\n    detectors: [card]\n    method: redact\n", 9, "duplicate mask name 'm'")]
    [InlineData("masks:\n  - name: m\n    colums: [a.b.c]\n    method: redact\n", 7, "unknown mask key 'colums'")]
    public void Broken_masks_are_refused_naming_the_line_and_the_problem(string masks, int line, string problem)
    {
        var e = Assert.Throws<PolicyLoadException>(() => PolicyLoader.Load(Rules + masks, "p.yaml"));

        Assert.Contains(problem, e.Problem, StringComparison.Ordinal);
        Assert.Equal(line, e.Line);
    }
}
