using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using OrleansGate.Edge.Classification;
using OrleansGate.Edge.Decisions;
using OrleansGate.Model;
using OrleansGate.Policy.Classification;
using OrleansGate.Policy.Model;

namespace OrleansGate.PolicyBenchmarks;

/// <summary>
/// What a cached statement's decision costs at run time, as the edge makes it: the classification (a cache hit) and
/// the decision with the edge's copy of the cluster policy (EdgePolicy, EdgeDecider). No call, no audit record.
/// </summary>
[MemoryDiagnoser]
public class RuntimeDecisionBenchmarks
{
    private const string Sql = "SELECT o.id, o.total FROM public.orders o JOIN public.customers c ON c.id = o.customer_id WHERE o.id = $1";

    private readonly StatementSummaries _summaries = new(new SqlClassifier());
    private readonly PolicyIdentity _identity = PolicyIdentity.From(new AgentIdentity("https://idp", "agent-1", ["agents"]));

    private EdgeDecider _decider = null!;

    [GlobalSetup]
    public void Setup()
    {
        // Installed as the policy grain's push would install it; confirmed for the benchmark's whole run.
        var policy = new EdgePolicy(TimeProvider.System, NullLogger<EdgePolicy>.Instance) { MaxStaleness = TimeSpan.FromDays(1) };
        var yaml = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "policy.yaml"));
        policy.Install(new PolicySnapshot(1, "demo", yaml, "policy.yaml", "", DateTimeOffset.UtcNow));
        _decider = new EdgeDecider(policy);
        if (!Decide().IsAllowed)
        {
            throw new InvalidOperationException("the benchmark statement must be allowed by the sample policy");
        }
    }

    [Benchmark]
    public Decision Decide() => _decider.Decide(_identity, "demo", StatementSource.SimpleQuery, _summaries.Summarize(Sql));
}
