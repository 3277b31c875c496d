using System.Diagnostics.Metrics;
using OrleansGate.Edge.Telemetry;

namespace OrleansGate.IntegrationTests.Fixtures;

/// <summary>Counts upstream connections the edge dials, read from its own metric while the counter lives.</summary>
public sealed class UpstreamDialCounter : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _count;

    public UpstreamDialCounter()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == EdgeTelemetry.Name && instrument.Name == "orleansgate.edge.upstream.connections")
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
