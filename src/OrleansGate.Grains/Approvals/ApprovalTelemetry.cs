using System.Diagnostics.Metrics;
using OrleansGate.Model;

namespace OrleansGate.Grains.Approvals;

/// <summary>
/// Metrics of approvals, recorded by the silo that holds each approval grain. Sum <c>orleansgate.approvals.pending</c>
/// over the silos for the cluster's pending count (an approval that moves to another silo after a crash is counted where
/// it was opened until it is decided there, so one silo's figure can go below zero; the sum stays right unless a silo died).
/// </summary>
public sealed class ApprovalTelemetry : IDisposable
{
    public const string Name = "OrleansGate.Approvals";

    private readonly Meter _meter;

    public ApprovalTelemetry(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _meter = meterFactory.Create(Name);
        Pending = _meter.CreateUpDownCounter<long>("orleansgate.approvals.pending", description: "Approvals opened and not decided yet");
        Decisions = _meter.CreateCounter<long>("orleansgate.approvals.decisions", description: "Approvals decided, by outcome (approved, denied, expired, withdrawn) and rule");
        TimeToDecision = _meter.CreateHistogram<double>("orleansgate.approvals.time_to_decision", unit: "s", description: "From the request to its decision, by outcome and rule");
    }

    public UpDownCounter<long> Pending { get; }

    public Counter<long> Decisions { get; }

    public Histogram<double> TimeToDecision { get; }

    /// <summary>An approval was opened for a request of <paramref name="rule"/>.</summary>
    public void Opened(string rule) => Pending.Add(1, new KeyValuePair<string, object?>("rule", rule));

    /// <summary>An approval of <paramref name="rule"/> ended with <paramref name="status"/> after <paramref name="waited"/>.</summary>
    public void Decided(string rule, ApprovalStatus status, TimeSpan waited)
    {
        var outcome = new KeyValuePair<string, object?>("outcome", status.ToString().ToLowerInvariant());
        var byRule = new KeyValuePair<string, object?>("rule", rule);
        Pending.Add(-1, byRule);
        Decisions.Add(1, outcome, byRule);
        TimeToDecision.Record(waited.TotalSeconds, outcome, byRule);
    }

    public void Dispose() => _meter.Dispose();
}
