using OrleansGate.Policy.Evaluation;
using OrleansGate.Policy.Loading;
using OrleansGate.Policy.Model;
using static OrleansGate.Policy.Tests.Classifiers;

namespace OrleansGate.Policy.Tests.Http;

public sealed class HttpDecisionTests
{
    private static CompiledPolicy Load(string rules) => PolicyLoader.Load("version: h-1\nrules:\n" + rules, "h.yaml");

    private static PolicyDecision Decide(CompiledPolicy policy, string method, string path, string target = "billing-api") =>
        PolicyEvaluator.Decide(policy, PolicyTestPolicies.Agent, target, new HttpRequestFacts(method, path));

    private static readonly CompiledPolicy Invoices = Load(
        """
          - name: invoices
            effect: allow
            reason: agents read and create invoices
            match: { groups: [agents], targets: [billing-api], http: { methods: [GET, POST], paths: ["/v1/invoices", "/v1/invoices/*"] } }
          - name: no-refunds
            effect: deny
            reason: refunds need a person
            match: { http: { paths: ["/v1/invoices/*/refund"] } }

        """);

    [Theory]
    [InlineData("GET", "/v1/invoices", "invoices", PolicyEffect.Allow)]
    [InlineData("GET", "/v1/invoices/42", "invoices", PolicyEffect.Allow)]
    [InlineData("post", "/v1/invoices", "invoices", PolicyEffect.Allow)]
    [InlineData("DELETE", "/v1/invoices/42", PolicyEvaluator.NoMatchRule, PolicyEffect.Deny)]
    [InlineData("GET", "/v1/customers/1", PolicyEvaluator.NoMatchRule, PolicyEffect.Deny)]
    [InlineData("POST", "/v1/invoices/42/refund", "no-refunds", PolicyEffect.Deny)]
    public void Methods_and_paths_decide_http_requests(string method, string path, string rule, PolicyEffect effect)
    {
        var decision = Decide(Invoices, method, path);

        Assert.Equal((effect, rule, "h-1"), (decision.Effect, decision.Rule, decision.PolicyVersion));
    }

    [Fact]
    public void An_http_rule_for_another_target_does_not_apply()
    {
        Assert.Equal(PolicyEvaluator.NoMatchRule, Decide(Invoices, "GET", "/v1/invoices", target: "crm-api").Rule);
    }

    [Fact]
    public void No_matching_rule_is_denied_naming_the_request()
    {
        var decision = Decide(Invoices, "PUT", "/v1/invoices/1");

        Assert.Equal((PolicyEffect.Deny, "no policy rule allows this request", false), (decision.Effect, decision.Reason, decision.RevealSecrets));
    }

    [Fact]
    public void Star_method_and_an_empty_http_match_allow_every_method()
    {
        Assert.True(Decide(Load("  - name: r\n    effect: allow\n    reason: ok\n    match: { http: { methods: [\"*\"] } }\n"), "PATCH", "/x").IsAllowed);
        Assert.True(Decide(Load("  - name: r\n    effect: allow\n    reason: ok\n    match: { http: {} }\n"), "DELETE", "/x").IsAllowed);
    }

    [Fact]
    public void Approve_rule_holds_an_http_request_unless_a_deny_matches()
    {
        var policy = Load(
            """
              - name: all
                effect: allow
                reason: ok
                match: { http: {} }
              - name: ask-writes
                effect: approve
                reason: writes need a person
                approval: { approvers: { groups: [finance] } }
                match: { http: { methods: [POST, PUT, PATCH, DELETE] } }
              - name: no-admin
                effect: deny
                reason: never
                match: { http: { paths: ["/admin*"] } }

            """);

        Assert.Equal("all", Decide(policy, "GET", "/v1/x").Rule);
        Assert.Equal(PolicyEffect.Approve, Decide(policy, "POST", "/v1/x").Effect);
        Assert.Equal("no-admin", Decide(policy, "POST", "/admin/users").Rule);
    }

    [Fact]
    public void Sql_and_kubernetes_rules_never_decide_an_http_request()
    {
        var policy = Load(
            "  - name: sql\n    effect: allow\n    reason: ok\n    match: { kinds: [read, write] }\n"
            + "  - name: kube\n    effect: allow\n    reason: ok\n    match: { kubernetes: {} }\n"
            + "  - name: kube-deny\n    effect: deny\n    reason: no\n    match: { kubernetes: { non_resource_paths: [\"*\"] } }\n");

        Assert.Equal(PolicyEvaluator.NoMatchRule, Decide(policy, "GET", "/v1/invoices").Rule);
    }

    [Fact]
    public void An_identity_only_rule_decides_http_requests_too()
    {
        var policy = Load(
            "  - name: everyone\n    effect: allow\n    reason: ok\n    match: { groups: [agents] }\n"
            + "  - name: suspended\n    effect: deny\n    reason: suspended\n    match: { subjects: [agent-9] }\n");

        Assert.Equal("everyone", Decide(policy, "DELETE", "/v1/invoices/1").Rule);
        Assert.Equal("suspended", PolicyEvaluator.Decide(policy, new PolicyIdentity("agent-9", ["agents"]), "billing-api", new HttpRequestFacts("GET", "/")).Rule);
    }

    [Fact]
    public void Kubernetes_and_http_rules_never_decide_a_sql_statement()
    {
        var policy = Load(
            "  - name: sql\n    effect: allow\n    reason: ok\n    match: { kinds: [read] }\n"
            + "  - name: kube-deny-all\n    effect: deny\n    reason: no\n    match: { kubernetes: {} }\n"
            + "  - name: http-deny-all\n    effect: deny\n    reason: no\n    match: { http: {} }\n"
            + "  - name: kube-allow-all\n    effect: allow\n    reason: ok\n    match: { kubernetes: {} }\n");

        Assert.Equal("sql", PolicyEvaluator.Decide(policy, PolicyTestPolicies.Agent, "demo", Classify("SELECT 1")).Rule);
        Assert.Equal(PolicyEvaluator.NoMatchRule, PolicyEvaluator.Decide(policy, PolicyTestPolicies.Agent, "demo", Classify("DELETE FROM t WHERE id = 1")).Rule);
    }
}
