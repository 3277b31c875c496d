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

    /// <summary>
    /// Silos run as Kubernetes pods (Microsoft.Orleans.Hosting.Kubernetes): the silo is named after its pod, advertises
    /// the pod's IP and takes its cluster and service ids from the pod (see <see cref="KubernetesEnvironment"/>), and
    /// the pods of silos declared dead are deleted. Edges are Orleans clients and ignore it. deploy/kubernetes sets it.
    /// </summary>
    public bool Kubernetes { get; set; }

    /// <summary>
    /// What the Kubernetes hosting reads from the pod (downward API), each of which must be set when
    /// <see cref="Kubernetes"/> is on: namespace, pod name and IP, and the Orleans ids (from the pod's labels).
    /// </summary>
    public static readonly string[] KubernetesEnvironment = ["POD_NAMESPACE", "POD_NAME", "POD_IP", "ORLEANS_CLUSTER_ID", "ORLEANS_SERVICE_ID"];

    /// <summary>
    /// The longest a silo waits for a liveness probe of another silo while it counts its own unanswered probes as its
    /// degradation (Orleans' <c>ClusterMembershipOptions.MaxProbeTimeout</c>; probes go every 5 s and a silo is voted
    /// dead after 3 unanswered, so a stopped silo is declared dead after about 3 × this when every probe goes unanswered,
    /// as with two silos). Orleans' default is 20 s (about 60 s, beyond the edges' <c>Policy:MaxStaleness</c> of 60 s);
    /// ours is 10 s (about 30 s). Shorter is faster to declare a stopped silo dead and more likely to declare a silo dead
    /// that was only starved of CPU.
    /// </summary>
    public TimeSpan MaxProbeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long an edge-only node waits for a gateway silo's <c>/healthz</c> (asked every second); a gateway that misses
    /// two in a row takes no new calls from this edge until it answers again (Cluster/GatewayHealthProbe). A stopped
    /// silo is so left out after about 2 × this + 1 s instead of its death declaration (about 30 s). Zero turns the
    /// probe off. Longer is slower to leave a stopped silo out and less likely to leave out one that was only busy.
    /// </summary>
    public TimeSpan GatewayProbeTimeout { get; set; } = TimeSpan.FromSeconds(1.5);

    /// <summary>Why <see cref="MaxProbeTimeout"/> or <see cref="GatewayProbeTimeout"/> cannot be used, or null.</summary>
    public string? MembershipProblem() =>
        MaxProbeTimeout < TimeSpan.FromSeconds(5) || MaxProbeTimeout > TimeSpan.FromMinutes(5)
            ? $"OrleansGate:Cluster:MaxProbeTimeout {MaxProbeTimeout} is outside 00:00:05 to 00:05:00 (Orleans probes every 5 s)"
            : GatewayProbeTimeout != TimeSpan.Zero && (GatewayProbeTimeout < TimeSpan.FromMilliseconds(100) || GatewayProbeTimeout > TimeSpan.FromSeconds(30))
                ? $"OrleansGate:Cluster:GatewayProbeTimeout {GatewayProbeTimeout} is outside 00:00:00.1 to 00:00:30 (or 00:00:00 to turn the probe off)"
                : null;

    /// <summary>
    /// Why the Kubernetes hosting cannot start here (a variable missing, or ids that differ from this section's, which
    /// edges use to find the silos), or null.
    /// </summary>
    public string? KubernetesProblem(Func<string, string?> environment)
    {
        var missing = KubernetesEnvironment.Where(name => string.IsNullOrWhiteSpace(environment(name))).ToList();
        if (missing.Count > 0)
        {
            return "OrleansGate:Cluster:Kubernetes is on but the pod does not set " + string.Join(", ", missing) +
                " (deploy/kubernetes/base sets them from the downward API)";
        }

        if (!System.Net.IPAddress.TryParse(environment("POD_IP"), out _))
        {
            return $"OrleansGate:Cluster:Kubernetes: POD_IP '{environment("POD_IP")}' is not an IP address (set it from status.podIP)";
        }

        return environment("ORLEANS_CLUSTER_ID") != ClusterId || environment("ORLEANS_SERVICE_ID") != ServiceId
            ? $"OrleansGate:Cluster:Kubernetes: the pod's ORLEANS_CLUSTER_ID/ORLEANS_SERVICE_ID ({environment("ORLEANS_CLUSTER_ID")}/{environment("ORLEANS_SERVICE_ID")}) " +
                $"differ from OrleansGate:Cluster:ClusterId/ServiceId ({ClusterId}/{ServiceId}), which edges use to find the silos"
            : null;
    }
}
