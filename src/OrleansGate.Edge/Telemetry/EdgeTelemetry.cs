using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace OrleansGate.Edge.Telemetry;

/// <summary>Traces and metrics of the edge. Names are stable: dashboards and tests refer to them.</summary>
public sealed class EdgeTelemetry : IDisposable
{
    public const string Name = "OrleansGate.Edge";

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
    }

    public Counter<long> Connections { get; }

    public Counter<long> Logins { get; }

    public Counter<long> UpstreamConnections { get; }

    public Counter<long> Decisions { get; }

    public Histogram<double> DecisionLatency { get; }

    public UpDownCounter<long> ActiveSessions { get; }

    public Counter<long> EndCancels { get; }

    public void Dispose() => _meter.Dispose();
}
