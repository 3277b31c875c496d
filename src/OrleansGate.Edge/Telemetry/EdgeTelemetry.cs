using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace OrleansGate.Edge.Telemetry;

/// <summary>Traces and metrics of the edge. Names are stable: dashboards and tests refer to them.</summary>
public sealed class EdgeTelemetry : IDisposable
{
    public const string Name = "OrleansGate.Edge";

    /// <summary>The protocol label of the PostgreSQL edge's series (HTTP and SSH edges will add theirs).</summary>
    public static readonly KeyValuePair<string, object?> Postgres = new("protocol", "postgres");

    public static readonly ActivitySource ActivitySource = new(Name);

    private readonly Meter _meter;

    public EdgeTelemetry(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(Name);
        Connections = _meter.CreateCounter<long>("orleansgate.edge.connections", description: "Client connections accepted");
        Logins = _meter.CreateCounter<long>("orleansgate.edge.logins", description: "Login attempts by outcome");
        UpstreamConnections = _meter.CreateCounter<long>("orleansgate.edge.upstream.connections", description: "Upstream connections dialled");
        Decisions = _meter.CreateCounter<long>("orleansgate.edge.decisions", description: "Statement decisions by effect");
        DecisionLatency = _meter.CreateHistogram<double>("orleansgate.edge.decision.duration", unit: "ms", description: "Time to decide one statement");
        ActiveSessions = _meter.CreateUpDownCounter<long>("orleansgate.edge.sessions.active", description: "Sessions currently relayed");
        EndCancels = _meter.CreateCounter<long>("orleansgate.edge.sessions.end_cancels", description: "Cancels sent to the target for a statement still running when its session ended, by outcome");
        UpstreamLatency = _meter.CreateHistogram<double>("orleansgate.edge.upstream.duration", unit: "ms", description: "From forwarding an audited statement to the target's answer that ends it");
        RateLimitRefusals = _meter.CreateCounter<long>("orleansgate.edge.rate_limit.refusals", description: "Requests and logins refused by the agent's cluster-wide limits, by kind (statements, sessions, rows_changed, rows_read)");
        AuditCommitLatency = _meter.CreateHistogram<double>("orleansgate.edge.audit.commit.duration", unit: "ms", description: "Time to make one append of audit records durable, by outcome");
    }

    public Counter<long> Connections { get; }

    public Counter<long> Logins { get; }

    public Counter<long> UpstreamConnections { get; }

    public Counter<long> Decisions { get; }

    public Histogram<double> DecisionLatency { get; }

    public UpDownCounter<long> ActiveSessions { get; }

    public Counter<long> EndCancels { get; }

    public Histogram<double> UpstreamLatency { get; }

    public Histogram<double> AuditCommitLatency { get; }

    public Counter<long> RateLimitRefusals { get; }

    /// <summary>Reports <paramref name="depth"/> (audit records the sessions of this edge hold, not written yet) at each collection.</summary>
    public void ObserveAuditQueue(Func<long> depth) =>
        _meter.CreateObservableGauge("orleansgate.edge.audit.queued", depth, description: "Audit records queued on this edge and not written yet");

    public void Dispose() => _meter.Dispose();
}
