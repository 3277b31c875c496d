namespace OrleansGate.Host.Hosting;

/// <summary>Cluster settings (section <c>OrleansGate:Cluster</c>).</summary>
public sealed class GatewayClusterOptions
{
    public string ClusterId { get; set; } = "orleansgate";

    public string ServiceId { get; set; } = "orleansgate";

    /// <summary>Address other silos and clients reach this silo on.</summary>
    public string AdvertisedAddress { get; set; } = "127.0.0.1";

    public int SiloPort { get; set; } = 11111;

    public int GatewayPort { get; set; } = 30000;
}
