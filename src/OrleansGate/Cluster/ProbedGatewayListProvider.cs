using System.Net;
using Orleans.Messaging;

namespace OrleansGate.Host.Cluster;

/// <summary>
/// The gateway list of an edge-only node: the membership table's active gateways (read through Orleans' own provider
/// every <see cref="ListFor"/>) less those <see cref="GatewayHealthProbe"/> finds unresponsive. Orleans asks for the list
/// every <c>GatewayListRefreshPeriod</c> (1 s on edges); a gateway left out no longer takes new calls, and Orleans
/// closes the connection to it, so grains routed through it are routed through another.
/// </summary>
/// <remarks>
/// Never empty while the table names a gateway: when every gateway is unresponsive (a network cut of this node, a
/// machine too starved to answer), all are given, as Orleans alone would. A failed read of the table keeps the last
/// list, filtered anew (the state database restarts while the silos keep running).
/// </remarks>
public sealed partial class ProbedGatewayListProvider(
    IGatewayListProvider inner, GatewayHealthProbe probe, TimeSpan listFor, TimeProvider time, ILogger<ProbedGatewayListProvider> logger)
    : IGatewayListProvider
{
    private IList<Uri>? _listed;
    private DateTimeOffset _listedAt;

    /// <summary>How long a read of the membership table is used.</summary>
    public TimeSpan ListFor => listFor;

    /// <summary>How long Orleans keeps a gateway it could not connect to out of the list (its own reading of this).</summary>
    public TimeSpan MaxStaleness => listFor;

    [Obsolete("Orleans no longer reads it; every provider is updatable.")]
    public bool IsUpdatable => true;

    public Task InitializeGatewayListProvider() => inner.InitializeGatewayListProvider();

    public async Task<IList<Uri>> GetGateways()
    {
        if (_listed is null || time.GetUtcNow() - _listedAt >= listFor)
        {
            try
            {
                _listed = await inner.GetGateways();
                _listedAt = time.GetUtcNow();
            }
            catch (Exception e) when (_listed is not null)
            {
                LogListFailed(e.Message);
            }
        }

        var listed = _listed!;
        var answering = listed.Where(uri => !probe.IsUnresponsive(Endpoint(uri))).ToList();
        return answering.Count > 0 ? answering : listed;
    }

    /// <summary>A gateway URI as Orleans writes it (<c>gwy.tcp://10.0.0.5:30000/0</c>, the generation last).</summary>
    public static IPEndPoint Endpoint(Uri gateway)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        return new IPEndPoint(IPAddress.Parse(gateway.Host.Trim('[', ']')), gateway.Port);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the cluster's gateways failed; the last list is kept: {Reason}")]
    private partial void LogListFailed(string reason);
}
