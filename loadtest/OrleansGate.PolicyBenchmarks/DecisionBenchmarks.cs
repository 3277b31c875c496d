using BenchmarkDotNet.Attributes;
using OrleansGate.Policy.Classification;
using OrleansGate.Policy.Evaluation;
using OrleansGate.Policy.Loading;
using OrleansGate.Policy.Model;

namespace OrleansGate.PolicyBenchmarks;

/// <summary>The per-statement decision path once the text is cached: classification cache hit + rule evaluation.</summary>
[MemoryDiagnoser]
public class DecisionBenchmarks
{
    private const string Sql = "SELECT o.id, o.total FROM public.orders o JOIN public.customers c ON c.id = o.customer_id WHERE o.id = $1";

    private readonly SqlClassifier _classifier = new();
    private readonly PolicyIdentity _agent = new("agent-1", ["agents"]);
    private CompiledPolicy _policy = null!;

    [GlobalSetup]
    public void Setup()
    {
        _policy = PolicyLoader.LoadFile(Path.Combine(AppContext.BaseDirectory, "policy.yaml"));
        _ = _classifier.Classify(Sql);
    }

    [Benchmark]
    public PolicyDecision CachedStatementDecision() =>
        PolicyEvaluator.Decide(_policy, _agent, "demo", _classifier.Classify(Sql));
}
