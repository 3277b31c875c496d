using OrleansGate.Policy.Evaluation;
using OrleansGate.Policy.Loading;
using OrleansGate.Policy.Model;
using static OrleansGate.Policy.Tests.Classifiers;

namespace OrleansGate.Policy.Tests;

/// <summary>Rules scoped by issuer and by claims: multi-valued claims, claims the gateway could not carry, names a rule may not use.</summary>
public sealed class IdentityMatchTests
{
    private const string ClaimDenyPolicy = """
        rules:
          - name: read
            effect: allow
            reason: x
            match: { kinds: [read] }
          - name: no-contractors
            effect: deny
            reason: contractors may not read orders
            match: { claims: { roles: contractor }, relations: [orders] }
        """;

    private static PolicyDecision Decide(string yaml, PolicyIdentity who, string sql = "SELECT * FROM orders") =>
        PolicyEvaluator.Decide(PolicyLoader.Load(yaml, "t.yaml"), who, "demo", Classify(sql));

    private static PolicyIdentity With(string claim, params string[] values) =>
        new("agent-1", [], new Dictionary<string, IReadOnlyList<string>> { [claim] = values });

    [Fact]
    public void Array_claim_matches_when_any_value_matches()
    {
        Assert.Equal("no-contractors", Decide(ClaimDenyPolicy, With("roles", "reader", "contractor")).Rule);
        Assert.Equal("read", Decide(ClaimDenyPolicy, With("roles", "reader", "employee")).Rule);
        Assert.Equal("read", Decide(ClaimDenyPolicy, new PolicyIdentity("agent-1", [])).Rule);
    }

    [Fact]
    public void Unreadable_claim_makes_deny_rules_match_and_allow_rules_not()
    {
        var unreadable = new PolicyIdentity("agent-1", [], new Dictionary<string, IReadOnlyList<string>>(), UnreadableClaims: new HashSet<string> { "roles" });
        const string AllowByClaim = "rules:\n  - name: r\n    effect: allow\n    reason: x\n    match: { claims: { roles: reader }, kinds: [read] }\n";

        Assert.Equal("no-contractors", Decide(ClaimDenyPolicy, unreadable).Rule);
        Assert.Equal(PolicyEvaluator.NoMatchRule, Decide(AllowByClaim, unreadable).Rule);
        Assert.True(Decide(AllowByClaim, With("roles", "reader")).IsAllowed);
    }

    [Fact]
    public void Issuers_key_matches_the_token_issuer_by_glob()
    {
        const string Policy = "rules:\n  - name: r\n    effect: allow\n    reason: x\n    match: { issuers: [\"https://idp.example.com/*\"], subjects: [admin] }\n";

        Assert.True(Decide(Policy, new PolicyIdentity("admin", [], Issuer: "https://idp.example.com/oauth2/default")).IsAllowed);
        Assert.False(Decide(Policy, new PolicyIdentity("admin", [], Issuer: "https://other.example.com/oauth2/default")).IsAllowed);
        Assert.False(Decide(Policy, new PolicyIdentity("admin", [])).IsAllowed);
    }

    [Theory]
    [InlineData("sub", "use 'subjects'")]
    [InlineData("iss", "use 'issuers'")]
    [InlineData("exp", "checked when the token is validated")]
    public void Claims_the_gateway_does_not_carry_are_refused_at_load_time(string claim, string message)
    {
        var error = Assert.Throws<PolicyLoadException>(() => PolicyLoader.Load($"rules:\n  - name: r\n    effect: deny\n    reason: x\n    match:\n      claims: {{ {claim}: x }}\n", "t.yaml"));

        Assert.StartsWith("t.yaml:6:", error.Message, StringComparison.Ordinal);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}
