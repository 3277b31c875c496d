using OrleansGate.Policy.Loading;
using OrleansGate.Policy.Model;

namespace OrleansGate.Policy.Tests.Http;

public sealed class RequestRuleLoaderTests
{
    private static PolicyLoadException LoadFails(string yaml) =>
        Assert.Throws<PolicyLoadException>(() => PolicyLoader.Load(yaml, "bad.yaml"));

    /// <summary>One rule of effect <paramref name="effect"/> whose match is <paramref name="match"/>, on line 6.</summary>
    private static string Rule(string match, string effect = "allow", string extra = "") =>
        $"rules:\n  - name: r\n    effect: {effect}\n    reason: x\n{extra}    match:\n      {match}\n";

    [Fact]
    public void Kubernetes_match_loads_verbs_resources_subresources_namespaces_and_names()
    {
        var policy = PolicyLoader.Load(
            """
            rules:
              - name: deploy
                effect: allow
                reason: agents may scale deployments
                match:
                  groups: [agents]
                  targets: [prod-cluster]
                  kubernetes:
                    verbs: [get, patch]
                    resources: ["apps/deployments", pods, "apps/*/scale"]
                    subresources: []
                    namespaces: ["team-*"]
                    names: [web]
              - name: health
                effect: allow
                reason: anyone may ask
                match: { kubernetes: { non_resource_paths: ["/version", "/healthz*"] } }
            """,
            "p.yaml");

        var deploy = policy.Rules[0];
        Assert.Equal(RuleProtocol.Kubernetes, deploy.Protocol);
        Assert.Equal(["prod-cluster"], deploy.Targets);
        var match = deploy.Kubernetes!;
        Assert.Equal(["get", "patch"], match.Verbs);
        Assert.Equal(["apps/deployments", "pods", "apps/*/scale"], match.Resources.Select(r => r.Text));
        Assert.Equal(["apps", "*", "scale"], match.Resources[2].Segments);
        Assert.Equal(["team-*"], match.Namespaces);
        Assert.Equal(["web"], match.Names);
        Assert.False(match.IsNonResource);
        Assert.Equal(["/version", "/healthz*"], policy.Rules[1].Kubernetes!.NonResourcePaths);
        Assert.True(policy.Rules[1].Kubernetes!.IsNonResource);
    }

    [Fact]
    public void Http_match_loads_methods_in_upper_case_and_paths()
    {
        var rule = PolicyLoader.Load(Rule("http: { methods: [get, POST], paths: [\"/v1/invoices/*\"] }"), "p.yaml").Rules[0];

        Assert.Equal(RuleProtocol.Http, rule.Protocol);
        Assert.Equal(["GET", "POST"], rule.Http!.Methods);
        Assert.Equal(["/v1/invoices/*"], rule.Http.Paths);
    }

    [Theory]
    [InlineData("groups: [agents]", RuleProtocol.Any)]
    [InlineData("targets: [prod-cluster]", RuleProtocol.Any)]
    [InlineData("kinds: [read]", RuleProtocol.Sql)]
    [InlineData("relations: [public.*]", RuleProtocol.Sql)]
    [InlineData("unbounded_write: true", RuleProtocol.Sql)]
    [InlineData("kubernetes: {}", RuleProtocol.Kubernetes)]
    [InlineData("http: {}", RuleProtocol.Http)]
    public void A_rule_s_protocol_follows_from_its_match_keys(string match, RuleProtocol protocol)
    {
        Assert.Equal(protocol, PolicyLoader.Load(Rule("{ " + match + " }"), "p.yaml").Rules[0].Protocol);
    }

    [Fact]
    public void Reveal_secrets_loads_on_allow_and_approve_rules_that_cover_secrets()
    {
        var policy = PolicyLoader.Load(
            """
            rules:
              - name: read-secrets
                effect: allow
                reason: ci reads its secrets
                reveal_secrets: true
                match: { kubernetes: { verbs: [get], resources: [secrets], namespaces: [ci] } }
              - name: ask-for-secrets
                effect: approve
                reason: a human approves
                reveal_secrets: true
                approval: { approvers: { groups: [sre] } }
                match: { kubernetes: { resources: ["*"] } }
              - name: masked
                effect: allow
                reason: values stay masked
                match: { kubernetes: { resources: [secrets] } }
            """,
            "p.yaml");

        Assert.Equal([true, true, false], policy.Rules.Select(r => r.RevealSecrets));
    }

    [Theory]
    [InlineData("kubernetes: { kinds: [read] }", 6, "unknown kubernetes key 'kinds' (expected verbs, resources, subresources, namespaces, names, commands, non_resource_paths)")]
    [InlineData("kubernetes: { verbs: [get, exec] }", 6, "unknown Kubernetes verb 'exec' (expected get, list, watch, create, update, patch, delete, deletecollection, *)")]
    [InlineData("kubernetes: { verbs: [GET] }", 6, "unknown Kubernetes verb 'GET' (expected get, list, watch, create, update, patch, delete, deletecollection, *)")]
    [InlineData("kubernetes: { verbs: [list], non_resource_paths: [/metrics] }", 6, "verb 'list' is not one of non-resource requests (expected the HTTP method in lower case: get, head, post, put, patch, delete, options, *)")]
    [InlineData("kubernetes: { resources: [Deployment] }", 6, "resource 'Deployment' must be [group/]resource[/subresource] in lower case, as the API names them (pods, apps/deployments, pods/exec, apps/deployments/scale), not a kind such as Deployment")]
    [InlineData("kubernetes: { resources: [a/b/c/d] }", 6, "resource 'a/b/c/d' must be [group/]resource[/subresource] in lower case, as the API names them (pods, apps/deployments, pods/exec, apps/deployments/scale), not a kind such as Deployment")]
    [InlineData("kubernetes: { resources: [apps//deployments] }", 6, "resource 'apps//deployments' must be [group/]resource[/subresource] in lower case, as the API names them (pods, apps/deployments, pods/exec, apps/deployments/scale), not a kind such as Deployment")]
    [InlineData("kubernetes: { resources: [\"pods \"] }", 6, "resource 'pods ' must be [group/]resource[/subresource] in lower case, as the API names them (pods, apps/deployments, pods/exec, apps/deployments/scale), not a kind such as Deployment")]
    [InlineData("kubernetes: { subresources: [pods/exec] }", 6, "subresource 'pods/exec' must be one name in lower case, such as exec or log")]
    [InlineData("kubernetes: { namespaces: [\"\"] }", 6, "'namespaces' cannot have an empty entry")]
    [InlineData("kubernetes: { names: [\" \"] }", 6, "'names' cannot have an empty entry")]
    [InlineData("kubernetes: { non_resource_paths: [] }", 6, "'non_resource_paths' needs at least one path (such as /version or /healthz*)")]
    [InlineData("kubernetes: { non_resource_paths: [version] }", 6, "path 'version' must start with / (such as /version or /healthz*), or be *")]
    [InlineData("kubernetes: { namespaces: [a], non_resource_paths: [/version] }", 6, "'non_resource_paths' is for requests without a resource (/version, /healthz), so it cannot stand with 'namespaces'; write two rules")]
    [InlineData("kubernetes: [get]", 6, "'kubernetes' must be a mapping (verbs, resources, subresources, namespaces, names, commands, non_resource_paths)")]
    [InlineData("http: { methods: [FETCH] }", 6, "unknown HTTP method 'FETCH' (expected GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, *)")]
    [InlineData("http: { paths: [v1/invoices] }", 6, "path 'v1/invoices' must start with / (such as /v1/invoices/*), or be *")]
    [InlineData("http: { path: [/v1] }", 6, "unknown http key 'path' (expected methods, paths)")]
    [InlineData("http: GET", 6, "'http' must be a mapping (methods, paths)")]
    [InlineData("{ kinds: [read], kubernetes: {} }", 6, "a rule matches one protocol: 'kubernetes' cannot stand with 'kinds', a SQL statement key; write two rules")]
    [InlineData("{ http: {}, relations: [public.*] }", 6, "a rule matches one protocol: 'http' cannot stand with 'relations', a SQL statement key; write two rules")]
    [InlineData("{ kubernetes: {}, http: {} }", 6, "a rule matches one protocol: 'http' cannot stand with 'kubernetes'; write two rules")]
    [InlineData("{ kubernetes: { resources: [\"*/*\"] } }", 2, "rule 'r': resource '*/*' would allow every core subresource (pods/exec, nodes/proxy) as well as every resource of every API group; name the groups (apps/*) or the subresources (pods/log) you mean")]
    public void Invalid_request_match_error_names_file_line_and_problem(string match, int line, string problem)
    {
        var e = LoadFails(Rule(match));

        Assert.Equal($"bad.yaml:{line}: {problem}", e.Message);
    }

    [Fact]
    public void A_sql_key_after_a_kubernetes_block_is_refused_at_its_own_line()
    {
        var e = LoadFails(Rule("kubernetes: { verbs: [get] }\n      functions: [pg_sleep]"));

        Assert.Equal("bad.yaml:7: a rule matches one protocol: 'kubernetes' cannot stand with 'functions', a SQL statement key; write two rules", e.Message);
    }

    [Fact]
    public void A_star_star_resource_in_a_deny_rule_is_accepted()
    {
        var rule = PolicyLoader.Load(Rule("{ kubernetes: { resources: [\"*/*\"] } }", "deny"), "p.yaml").Rules[0];

        Assert.Equal("*/*", rule.Kubernetes!.Resources[0].Text);
    }

    [Theory]
    [InlineData("deny", "{ kubernetes: { resources: [secrets] } }", "rule 'r': reveal_secrets is for allow and approve rules, not deny")]
    [InlineData("allow", "{ groups: [agents] }", "rule 'r': reveal_secrets needs a 'kubernetes' match (which Secrets, for whom)")]
    [InlineData("allow", "{ http: {} }", "rule 'r': reveal_secrets needs a 'kubernetes' match (which Secrets, for whom)")]
    [InlineData("allow", "{ kubernetes: { resources: [configmaps] } }", "rule 'r': reveal_secrets, but its kubernetes match never covers the resource secrets")]
    [InlineData("allow", "{ kubernetes: { resources: [secrets], subresources: [status] } }", "rule 'r': reveal_secrets, but its kubernetes match never covers the resource secrets")]
    [InlineData("allow", "{ kubernetes: { non_resource_paths: [\"*\"] } }", "rule 'r': reveal_secrets, but its kubernetes match never covers the resource secrets")]
    public void Invalid_reveal_secrets_is_refused_at_its_line(string effect, string match, string problem)
    {
        var e = LoadFails(Rule(match, effect, "    reveal_secrets: true\n"));

        Assert.Equal($"bad.yaml:5: {problem}", e.Message);
    }

    [Fact]
    public void Reveal_secrets_must_be_true_or_false()
    {
        var e = LoadFails(Rule("{ kubernetes: {} }", "allow", "    reveal_secrets: yes\n"));

        Assert.Equal("bad.yaml:5: 'reveal_secrets' must be true or false", e.Message);
    }

    [Fact]
    public void Masks_and_limits_refuse_a_kubernetes_match()
    {
        var mask = LoadFails("rules: []\nmasks:\n  - name: m\n    match: { kubernetes: {} }\n    detectors: [email]\n    method: redact\n");
        var limit = LoadFails("rules: []\nlimits:\n  - name: l\n    match: { http: {} }\n    sessions: 2\n");

        Assert.Equal("bad.yaml:4: a mask matches on issuers, subjects, groups, claims and targets only, not 'kubernetes'", mask.Message);
        Assert.StartsWith("bad.yaml:4: a limit matches on issuers, subjects, groups and claims only, not 'http'", limit.Message, StringComparison.Ordinal);
    }
}
