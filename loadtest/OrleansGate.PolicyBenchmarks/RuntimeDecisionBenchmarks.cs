using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OrleansGate.Edge.Classification;
using OrleansGate.Grains.Policy;
using OrleansGate.Model;
using OrleansGate.Policy.Classification;

namespace OrleansGate.PolicyBenchmarks;

/// <summary>
/// What a cached statement costs at run time outside the grain call itself: the edge's summary (classification
/// cache hit) and the session grain's decision with this silo's cached policy.
/// </summary>
[MemoryDiagnoser]
public class RuntimeDecisionBenchmarks
{
    private const string Sql = "SELECT o.id, o.total FROM public.orders o JOIN public.customers c ON c.id = o.customer_id WHERE o.id = $1";

    private readonly StatementSummaries _summaries = new(new SqlClassifier());
    private readonly SessionInfo _session = new(
        "s-1", new AgentIdentity("https://idp", "agent-1", ["agents"]), null, DateTimeOffset.MaxValue, "demo", "postgres", "edge-1", "127.0.0.1", DateTimeOffset.UtcNow);

    private PolicyDecider _decider = null!;

    [GlobalSetup]
    public void Setup()
    {
        // The grain factory and silo details are only used to fetch a policy; the push below installs it, as the policy grain would.
        var cache = new PolicyCache(null!, null!, Options.Create(new PolicyOptions { MaxStaleness = TimeSpan.FromDays(1) }), TimeProvider.System, NullLogger<PolicyCache>.Instance);
        var yaml = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "policy.yaml"));
        cache.PolicyChanged(new PolicySnapshot(1, "demo", yaml, "policy.yaml", "", DateTimeOffset.UtcNow)).GetAwaiter().GetResult();
        _decider = new PolicyDecider(cache);
        if (!Decide().Result.IsAllowed)
        {
            throw new InvalidOperationException("the benchmark statement must be allowed by the sample policy");
        }
    }

    [Benchmark]
    public ValueTask<Decision> Decide() =>
        _decider.DecideAsync(_session, new StatementRequest(StatementSource.SimpleQuery, null, _summaries.Summarize(Sql)));
}
