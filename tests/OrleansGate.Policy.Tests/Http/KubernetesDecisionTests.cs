using OrleansGate.Policy.Evaluation;
using OrleansGate.Policy.Loading;
using OrleansGate.Policy.Model;

namespace OrleansGate.Policy.Tests.Http;

public sealed class KubernetesDecisionTests
{
    private const string Cluster = "prod-cluster";

    private static CompiledPolicy Load(string rules) => PolicyLoader.Load("version: k-1\nrules:\n" + rules, "k.yaml");

    /// <summary>One allow rule, named <c>r</c>, with the given <c>kubernetes:</c> match.</summary>
    private static CompiledPolicy Allow(string kubernetes) =>
        Load($"  - name: r\n    effect: allow\n    reason: ok\n    match: {{ kubernetes: {kubernetes} }}\n");

    /// <summary>An allow for everything except subresources, then a deny named <c>d</c> with the given match.</summary>
    private static CompiledPolicy AllowAllButDeny(string kubernetes) =>
        Load($"  - name: all\n    effect: allow\n    reason: ok\n    match: {{ kubernetes: {{}} }}\n  - name: d\n    effect: deny\n    reason: no\n    match: {{ kubernetes: {kubernetes} }}\n");

    private static KubernetesRequestFacts Request(
        string verb, string resource, string group = "", string subresource = "", string ns = "", string name = "") =>
        new()
        {
            IsResourceRequest = true,
            Verb = verb,
            Path = "/api/v1/" + resource,
            ApiGroup = group,
            Resource = resource,
            Subresource = subresource,
            Namespace = ns,
            Name = name,
        };

    private static KubernetesRequestFacts NonResource(string verb, string path) => new() { IsResourceRequest = false, Verb = verb, Path = path };

    private static PolicyDecision Decide(CompiledPolicy policy, KubernetesRequestFacts request, PolicyIdentity? who = null, string target = Cluster) =>
        PolicyEvaluator.Decide(policy, who ?? PolicyTestPolicies.Agent, target, request);

    private static bool Allowed(CompiledPolicy policy, KubernetesRequestFacts request) => Decide(policy, request).IsAllowed;

    [Fact]
    public void No_matching_rule_is_denied_by_default_with_the_policy_version()
    {
        var decision = Decide(Allow("{ verbs: [get] }"), Request("delete", "pods", ns: "a", name: "p"));

        Assert.Equal((PolicyEffect.Deny, PolicyEvaluator.NoMatchRule, "no policy rule allows this request", "k-1"), (decision.Effect, decision.Rule, decision.Reason, decision.PolicyVersion));
        Assert.False(decision.RevealSecrets);
    }

    [Fact]
    public void Allowed_request_names_its_rule_and_reason()
    {
        var decision = Decide(Allow("{ verbs: [get, list] }"), Request("list", "pods", ns: "a"));

        Assert.Equal((PolicyEffect.Allow, "r", "ok", "k-1"), (decision.Effect, decision.Rule, decision.Reason, decision.PolicyVersion));
    }

    [Theory]
    [InlineData("get", true)]
    [InlineData("list", true)]
    [InlineData("watch", false)]
    [InlineData("delete", false)]
    [InlineData("deletecollection", false)]
    public void Verbs_allow_only_what_they_name(string verb, bool allowed)
    {
        Assert.Equal(allowed, Allowed(Allow("{ verbs: [get, list] }"), Request(verb, "pods", ns: "a")));
    }

    [Fact]
    public void Star_verb_allows_every_verb()
    {
        Assert.True(Allowed(Allow("{ verbs: [\"*\"] }"), Request("deletecollection", "pods", ns: "a")));
    }

    [Theory]
    [InlineData("apps", "deployments", "", true)]
    [InlineData("", "deployments", "", false)] // a core resource of the same name is not apps/deployments
    [InlineData("extensions", "deployments", "", false)]
    [InlineData("apps", "statefulsets", "", false)]
    [InlineData("apps", "deployments", "scale", false)]
    [InlineData("", "secrets", "", true)]
    [InlineData("apps", "secrets", "", false)] // a bare resource is the core group's
    [InlineData("", "pods", "exec", true)]
    [InlineData("", "pods", "log", false)]
    [InlineData("", "pods", "", false)]
    public void Resources_are_matched_by_group_resource_and_subresource(string group, string resource, string subresource, bool allowed)
    {
        var policy = Allow("{ resources: [\"apps/deployments\", secrets, \"pods/exec\"] }");

        Assert.Equal(allowed, Allowed(policy, Request("get", resource, group, subresource, ns: "a", name: "x")));
    }

    [Theory]
    [InlineData("apps", "deployments", "", true)]
    [InlineData("apps", "replicasets", "", true)]
    [InlineData("apps", "deployments", "scale", false)] // '*' stays within its segment
    [InlineData("", "pods", "", false)]
    [InlineData("batch", "jobs", "", false)]
    public void A_group_glob_names_every_resource_of_the_group_but_no_subresource(string group, string resource, string subresource, bool allowed)
    {
        Assert.Equal(allowed, Allowed(Allow("{ resources: [\"apps/*\"] }"), Request("get", resource, group, subresource, ns: "a")));
    }

    [Fact]
    public void Group_resource_subresource_pattern_names_that_subresource_only()
    {
        var policy = Allow("{ verbs: [patch], resources: [\"apps/deployments/scale\"] }");

        Assert.True(Allowed(policy, Request("patch", "deployments", "apps", "scale", ns: "a", name: "web")));
        Assert.False(Allowed(policy, Request("patch", "deployments", "apps", ns: "a", name: "web")));
        Assert.False(Allowed(policy, Request("patch", "deployments", "apps", "status", ns: "a", name: "web")));
    }

    [Theory]
    [InlineData("exec")]
    [InlineData("attach")]
    [InlineData("portforward")]
    [InlineData("proxy")]
    [InlineData("log")]
    public void An_allow_on_pods_does_not_allow_its_subresources(string subresource)
    {
        var policy = Allow("{ resources: [pods] }");

        Assert.True(Allowed(policy, Request("get", "pods", ns: "a", name: "p")));
        Assert.False(Allowed(policy, Request("get", "pods", subresource: subresource, ns: "a", name: "p")));
    }

    [Fact]
    public void An_allow_without_resources_or_with_star_does_not_allow_subresources()
    {
        foreach (var policy in new[] { Allow("{ verbs: [get, create] }"), Allow("{ resources: [\"*\"] }"), Load("  - name: r\n    effect: allow\n    reason: ok\n") })
        {
            Assert.True(Allowed(policy, Request("get", "deployments", "apps", ns: "a", name: "web")));
            Assert.True(Allowed(policy, Request("get", "nodes", name: "n1")));
            Assert.False(Allowed(policy, Request("create", "pods", subresource: "exec", ns: "a", name: "p")));
            Assert.False(Allowed(policy, Request("get", "nodes", subresource: "proxy", name: "n1")));
        }
    }

    [Fact]
    public void A_deny_on_pods_also_denies_its_subresources()
    {
        var policy = Load(
            "  - name: exec\n    effect: allow\n    reason: ok\n    match: { kubernetes: { resources: [\"pods/exec\", \"pods/log\"] } }\n"
            + "  - name: d\n    effect: deny\n    reason: no\n    match: { kubernetes: { resources: [pods] } }\n");

        Assert.Equal("d", Decide(policy, Request("create", "pods", subresource: "exec", ns: "a", name: "p")).Rule);
        Assert.Equal("d", Decide(policy, Request("get", "pods", subresource: "log", ns: "a", name: "p")).Rule);
    }

    [Fact]
    public void Subresources_key_names_subresources_of_the_listed_resources()
    {
        var policy = Allow("{ resources: [pods], subresources: [log, \"port*\"] }");

        Assert.True(Allowed(policy, Request("get", "pods", subresource: "log", ns: "a", name: "p")));
        Assert.True(Allowed(policy, Request("create", "pods", subresource: "portforward", ns: "a", name: "p")));
        Assert.False(Allowed(policy, Request("create", "pods", subresource: "exec", ns: "a", name: "p")));
        Assert.False(Allowed(policy, Request("get", "pods", ns: "a", name: "p")));
        Assert.False(Allowed(policy, Request("get", "services", subresource: "log", ns: "a", name: "p")));
    }

    [Fact]
    public void Subresources_key_without_resources_names_that_subresource_of_any_resource()
    {
        var policy = Allow("{ verbs: [get, patch], subresources: [status] }");

        Assert.True(Allowed(policy, Request("get", "pods", subresource: "status", ns: "a", name: "p")));
        Assert.True(Allowed(policy, Request("patch", "deployments", "apps", "status", ns: "a", name: "web")));
        Assert.False(Allowed(policy, Request("get", "deployments", "apps", ns: "a", name: "web")));
    }

    [Theory]
    [InlineData("team-a", true)]
    [InlineData("team-b", true)]
    [InlineData("kube-system", false)]
    [InlineData("", false)] // a list across all namespaces, or a cluster-scoped resource
    public void Allow_with_namespace_globs_covers_only_requests_in_a_matching_namespace(string ns, bool allowed)
    {
        Assert.Equal(allowed, Allowed(Allow("{ namespaces: [\"team-*\"] }"), Request("list", "pods", ns: ns)));
    }

    [Theory]
    [InlineData("kube-system", true)]
    [InlineData("team-a", false)]
    [InlineData("", true)] // a list across all namespaces includes kube-system's
    public void Deny_with_namespace_globs_touches_requests_without_a_namespace_too(string ns, bool denied)
    {
        var decision = Decide(AllowAllButDeny("{ resources: [secrets], namespaces: [kube-system] }"), Request("list", "secrets", ns: ns));

        Assert.Equal(denied ? "d" : "all", decision.Rule);
    }

    [Theory]
    [InlineData("web-1", true)]
    [InlineData("db-1", false)]
    [InlineData("", false)] // a list, a watch, a create: the request names no object
    public void Allow_with_name_globs_covers_only_requests_naming_a_matching_object(string name, bool allowed)
    {
        Assert.Equal(allowed, Allowed(Allow("{ resources: [pods], names: [\"web-*\"] }"), Request("get", "pods", ns: "a", name: name)));
    }

    [Theory]
    [InlineData("prod-db", "d")]
    [InlineData("web-1", "all")]
    [InlineData("", "d")] // deletecollection names no object, so it may delete prod-db
    public void Deny_with_name_globs_touches_requests_without_a_name_too(string name, string rule)
    {
        var decision = Decide(AllowAllButDeny("{ verbs: [delete, deletecollection], names: [\"prod-*\"] }"), Request(name.Length == 0 ? "deletecollection" : "delete", "pods", ns: "a", name: name));

        Assert.Equal(rule, decision.Rule);
    }

    [Fact]
    public void Allow_with_star_namespace_covers_namespaced_requests_only()
    {
        var policy = Allow("{ namespaces: [\"*\"] }");

        Assert.True(Allowed(policy, Request("get", "pods", ns: "any", name: "p")));
        Assert.False(Allowed(policy, Request("get", "nodes", name: "n1")));
    }

    [Theory]
    [InlineData("get", "/version", true)]
    [InlineData("get", "/healthz", true)]
    [InlineData("get", "/healthz/etcd", true)]
    [InlineData("post", "/healthz", false)]
    [InlineData("get", "/metrics", false)]
    public void Non_resource_paths_decide_non_resource_requests(string verb, string path, bool allowed)
    {
        Assert.Equal(allowed, Allowed(Allow("{ verbs: [get], non_resource_paths: [\"/version\", \"/healthz*\"] }"), NonResource(verb, path)));
    }

    [Fact]
    public void A_resource_match_never_decides_a_non_resource_request_and_the_other_way_round()
    {
        Assert.False(Allowed(Allow("{ verbs: [get] }"), NonResource("get", "/version")));
        Assert.False(Allowed(Allow("{ non_resource_paths: [\"*\"] }"), Request("get", "pods", ns: "a", name: "p")));
    }

    [Fact]
    public void Deny_overrides_approve_overrides_allow_as_for_statements()
    {
        var policy = Load(
            """
              - name: read
                effect: allow
                reason: ok
                match: { kubernetes: { verbs: [get, list, delete] } }
              - name: ask-delete
                effect: approve
                reason: ask
                approval: { approvers: { groups: [sre] } }
                match: { kubernetes: { verbs: [delete] } }
              - name: no-kube-system
                effect: deny
                reason: never
                match: { kubernetes: { namespaces: [kube-system] } }

            """);

        Assert.Equal("read", Decide(policy, Request("get", "pods", ns: "a", name: "p")).Rule);
        var ask = Decide(policy, Request("delete", "pods", ns: "a", name: "p"));
        Assert.Equal((PolicyEffect.Approve, "ask-delete"), (ask.Effect, ask.Rule));
        var deny = Decide(policy, Request("delete", "pods", ns: "kube-system", name: "p"));
        Assert.Equal((PolicyEffect.Deny, "no-kube-system", "never"), (deny.Effect, deny.Rule, deny.Reason));
    }

    [Fact]
    public void Identity_and_target_keys_decide_kubernetes_rules_as_they_do_sql_rules()
    {
        var policy = Load("  - name: r\n    effect: allow\n    reason: ok\n    match: { groups: [agents], claims: { team: payments }, targets: [\"prod-*\"], kubernetes: { verbs: [get] } }\n");
        var payments = new PolicyIdentity("agent-1", ["agents"], new Dictionary<string, IReadOnlyList<string>> { ["team"] = ["payments"] });
        var get = Request("get", "pods", ns: "a", name: "p");

        Assert.True(Decide(policy, get, payments).IsAllowed);
        Assert.False(Decide(policy, get, payments, target: "staging-cluster").IsAllowed);
        Assert.False(Decide(policy, get, new PolicyIdentity("agent-1", ["agents"])).IsAllowed);
        Assert.False(Decide(policy, get, new PolicyIdentity("agent-1", ["others"], payments.Claims)).IsAllowed);
    }

    [Fact]
    public void An_identity_only_rule_decides_kubernetes_requests_too()
    {
        var policy = Load(
            "  - name: kube\n    effect: allow\n    reason: ok\n    match: { kubernetes: {} }\n"
            + "  - name: suspended\n    effect: deny\n    reason: suspended\n    match: { subjects: [agent-1] }\n");

        Assert.Equal("suspended", Decide(policy, Request("get", "pods", ns: "a", name: "p")).Rule);
        Assert.Equal("kube", Decide(policy, Request("get", "pods", ns: "a", name: "p"), new PolicyIdentity("agent-2", ["agents"])).Rule);
    }

    [Fact]
    public void A_deny_on_identity_only_matches_every_kubernetes_request_an_allow_covers_what_an_empty_match_does()
    {
        var allow = Load("  - name: r\n    effect: allow\n    reason: ok\n    match: { groups: [agents] }\n");
        var deny = Load("  - name: all\n    effect: allow\n    reason: ok\n    match: { kubernetes: { non_resource_paths: [\"*\"] } }\n"
            + "  - name: exec\n    effect: allow\n    reason: ok\n    match: { kubernetes: { resources: [\"pods/exec\"] } }\n"
            + "  - name: d\n    effect: deny\n    reason: no\n    match: { groups: [agents] }\n");
        KubernetesRequestFacts[] requests = [Request("get", "pods", ns: "a", name: "p"), Request("create", "pods", subresource: "exec", ns: "a", name: "p"), NonResource("get", "/version")];

        Assert.Equal([true, false, false], requests.Select(r => Allowed(allow, r)));
        Assert.Equal(["d", "d", "d"], requests.Select(r => Decide(deny, r).Rule));
    }

    [Fact]
    public void Sql_and_http_rules_never_decide_a_kubernetes_request()
    {
        var policy = Load(
            "  - name: sql-read\n    effect: allow\n    reason: ok\n    match: { kinds: [read] }\n"
            + "  - name: http-get\n    effect: allow\n    reason: ok\n    match: { http: { methods: [GET] } }\n"
            + "  - name: sql-deny\n    effect: deny\n    reason: no\n    match: { relations: [\"*\"] }\n"
            + "  - name: guard\n    effect: deny\n    reason: no\n    match: { unbounded_write: true }\n");

        var decision = Decide(policy, Request("get", "pods", ns: "a", name: "p"));

        Assert.Equal(PolicyEvaluator.NoMatchRule, decision.Rule);
    }

    [Fact]
    public void Reveal_secrets_comes_with_the_allow_that_decides()
    {
        var policy = Load(
            """
              - name: ci-secrets
                effect: allow
                reason: ci reads its own
                reveal_secrets: true
                match: { kubernetes: { verbs: [get], resources: [secrets], namespaces: [ci] } }
              - name: read
                effect: allow
                reason: values masked
                match: { kubernetes: { verbs: [get, list] } }

            """);

        var ci = Decide(policy, Request("get", "secrets", ns: "ci", name: "token"));
        var other = Decide(policy, Request("get", "secrets", ns: "web", name: "token"));
        var list = Decide(policy, Request("list", "secrets", ns: "ci"));

        Assert.Equal(("ci-secrets", true), (ci.Rule, ci.RevealSecrets));
        Assert.Equal(("read", false), (other.Rule, other.RevealSecrets));
        Assert.Equal(("read", false), (list.Rule, list.RevealSecrets));
    }

    [Fact]
    public void Reveal_secrets_is_never_set_on_a_deny()
    {
        var policy = Load(
            "  - name: reveal\n    effect: allow\n    reason: ok\n    reveal_secrets: true\n    match: { kubernetes: { resources: [secrets] } }\n"
            + "  - name: d\n    effect: deny\n    reason: no\n    match: { kubernetes: { namespaces: [kube-system] } }\n");

        var denied = Decide(policy, Request("get", "secrets", ns: "kube-system", name: "s"));

        Assert.Equal(("d", false), (denied.Rule, denied.RevealSecrets));
        Assert.True(Decide(policy, Request("get", "secrets", ns: "a", name: "s")).RevealSecrets);
    }

    [Fact]
    public void Reveal_secrets_on_an_approve_rule_reveals_once_approved()
    {
        var policy = Load("  - name: ask\n    effect: approve\n    reason: ask\n    reveal_secrets: true\n    approval: { approvers: { groups: [sre] } }\n    match: { kubernetes: { resources: [secrets] } }\n");

        var decision = Decide(policy, Request("get", "secrets", ns: "a", name: "s"));

        Assert.Equal((PolicyEffect.Approve, true), (decision.Effect, decision.RevealSecrets));
    }

    [Fact]
    public void Find_rule_returns_the_deciding_rule_or_null()
    {
        var policy = Allow("{ verbs: [get] }");

        Assert.Same(policy.Rules[0], PolicyEvaluator.FindRule(policy, PolicyTestPolicies.Agent, Cluster, Request("get", "pods", ns: "a", name: "p")));
        Assert.Null(PolicyEvaluator.FindRule(policy, PolicyTestPolicies.Agent, Cluster, Request("delete", "pods", ns: "a", name: "p")));
    }
}
