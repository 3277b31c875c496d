namespace OrleansGate.Host.Hosting;

/// <summary>How many cluster gateways an edge-only process is connected to, as its Orleans client reports it (for /readyz).</summary>
public sealed class ClusterClientConnection : IClusterConnectionStatusObserver
{
    private volatile int _gateways;

    public int ConnectedGateways => _gateways;

    public void NotifyGatewayCountChanged(int currentNumberOfGateways, int previousNumberOfGateways, bool connectionRecovered) =>
        _gateways = currentNumberOfGateways;

    public void NotifyClusterConnectionLost() => _gateways = 0;
}
