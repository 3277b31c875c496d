using OrleansGate.Policy.Evaluation;
using OrleansGate.Policy.Loading;
using OrleansGate.Policy.Model;

namespace OrleansGate.Policy.Tests.Http;

/// <summary>The example of docs/policy.md's "Kubernetes and HTTP targets and rules" loads and decides as the text says.</summary>
public sealed class PolicyDocExampleTests
{
    private static CompiledPolicy LoadExample()
    {
        var doc = File.ReadAllText(Path.Combine(Path.GetDirectoryName(PolicyTestPolicies.SamplePath)!, "..", "..", "docs", "policy.md"));
        var section = doc[doc.IndexOf("## Kubernetes and HTTP targets and rules", StringComparison.Ordinal)..];
        var start = section.IndexOf("```yaml\n", StringComparison.Ordinal) + "```yaml\n".Length;
        return PolicyLoader.Load(section[start..section.IndexOf("```", start, StringComparison.Ordinal)], "policy.md");
    }

    private static KubernetesRequestFacts Get(string resource, string ns, string subresource = "") =>
        new() { IsResourceRequest = true, Verb = "get", Path = "/api/v1/" + resource, Resource = resource, Namespace = ns, Name = "x", Subresource = subresource };

    [Fact]
    public void The_documented_example_loads_and_decides_as_documented()
    {
        var policy = LoadExample();
        var agent = PolicyTestPolicies.Agent;
        var ci = new PolicyIdentity("ci-agent", ["agents"]);

        Assert.Equal(["reporting"], policy.Targets.Keys);
        Assert.Equal(["billing-api", "kubectl-proxy", "prod-cluster"], policy.HttpTargets.Keys.Order(StringComparer.Ordinal));
        Assert.Single(policy.HttpTargets["kubectl-proxy"].Warnings);
        Assert.Equal(["ConfigMap", "apps/Deployment"], policy.KubernetesMasks.Select(m => m.Kind));

        Assert.Equal("discovery", PolicyEvaluator.Decide(policy, agent, "prod-cluster", new KubernetesRequestFacts { IsResourceRequest = false, Verb = "get", Path = "/apis/apps/v1" }).Rule);
        Assert.Equal(("agents-read", false), Outcome(PolicyEvaluator.Decide(policy, agent, "prod-cluster", Get("secrets", "team-a"))));
        Assert.Equal(("ci-secrets", true), Outcome(PolicyEvaluator.Decide(policy, ci, "prod-cluster", Get("secrets", "ci"))));
        Assert.Equal("agents-read", PolicyEvaluator.Decide(policy, agent, "prod-cluster", Get("pods", "team-a", "log")).Rule);
        Assert.Equal(PolicyEvaluator.NoMatchRule, PolicyEvaluator.Decide(policy, agent, "prod-cluster", Get("pods", "team-a", "exec")).Rule);
        Assert.Equal("no-kube-system", PolicyEvaluator.Decide(policy, agent, "prod-cluster", Get("pods", "kube-system")).Rule);
        Assert.Equal("invoices", PolicyEvaluator.Decide(policy, agent, "billing-api", new HttpRequestFacts("POST", "/v1/invoices")).Rule);

        static (string, bool) Outcome(PolicyDecision d) => (d.Rule, d.RevealSecrets);
    }
}
