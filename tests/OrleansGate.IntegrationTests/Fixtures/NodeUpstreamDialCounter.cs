using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using OrleansGate.Edge.Telemetry;

namespace OrleansGate.IntegrationTests.Fixtures;

/// <summary>
/// Counts upstream connections one node dials while the counter lives. It
/// ignores the other nodes of this process (test collections run in parallel), so a zero means this node dialled nothing.
/// </summary>
public sealed class NodeUpstreamDialCounter : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _count;

    public NodeUpstreamDialCounter(GatewayNode node)
        : this((node ?? throw new ArgumentNullException(nameof(node))).Services.GetRequiredService<IMeterFactory>())
    {
    }

    /// <summary>Counts the dials of the <see cref="EdgeTelemetry"/> made with <paramref name="scope"/>.</summary>
    public NodeUpstreamDialCounter(IMeterFactory scope)
    {
        // Meters made by a host's IMeterFactory carry that factory as their scope: one per node.
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == EdgeTelemetry.Name && ReferenceEquals(instrument.Meter.Scope, scope)
                && instrument.Name == "orleansgate.edge.upstream.connections")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _count, value));
        _listener.Start();
    }

    public long Count => Interlocked.Read(ref _count);

    public void Dispose() => _listener.Dispose();
}
