namespace OrleansGate.KubernetesApiStandIn;

/// <summary>The resources the stand-in serves, in the order discovery lists them.</summary>
public static class StandInResources
{
    private static readonly string[] ReadWrite = ["get", "patch", "update"];
    private static readonly string[] Connect = ["create", "get"];
    private static readonly string[] InAll = ["all"];

    public static StandInResource Pods { get; } = new(
        "", "v1", "pods", "pod", "Pod", Namespaced: true, ["po"],
        [
            new("log", "Pod", ["get"]),
            new("exec", "PodExecOptions", Connect),
            new("attach", "PodAttachOptions", Connect),
            new("portforward", "PodPortForwardOptions", Connect),
            new("status", "Pod", ReadWrite),
        ],
        InAll);

    public static StandInResource Secrets { get; } = new("", "v1", "secrets", "secret", "Secret", Namespaced: true, [], []);

    public static StandInResource ConfigMaps { get; } = new("", "v1", "configmaps", "configmap", "ConfigMap", Namespaced: true, ["cm"], []);

    public static StandInResource Namespaces { get; } = new(
        "", "v1", "namespaces", "namespace", "Namespace", Namespaced: false, ["ns"], [new("status", "Namespace", ReadWrite)]);

    public static StandInResource Services { get; } = new(
        "", "v1", "services", "service", "Service", Namespaced: true, ["svc"], [new("status", "Service", ReadWrite)], InAll);

    public static StandInResource Deployments { get; } = new(
        "apps", "v1", "deployments", "deployment", "Deployment", Namespaced: true, ["deploy"],
        [
            new("scale", "Scale", ReadWrite, Group: "autoscaling", Version: "v1"),
            new("status", "Deployment", ReadWrite),
        ],
        InAll);

    public static IReadOnlyList<StandInResource> All { get; } = [Pods, Secrets, ConfigMaps, Namespaces, Services, Deployments];

    /// <summary>The resource at <c>/api/v1/{plural}</c> (group "") or <c>/apis/{group}/{version}/{plural}</c>.</summary>
    public static StandInResource? Find(string group, string version, string plural) =>
        All.FirstOrDefault(r => r.Group == group && r.Version == version && r.Plural == plural);

    public static IEnumerable<StandInResource> InGroupVersion(string group, string version) =>
        All.Where(r => r.Group == group && r.Version == version);

    /// <summary>The API groups other than core, each with the versions served.</summary>
    public static IEnumerable<(string Group, string Version)> NamedGroupVersions() =>
        All.Where(r => r.Group.Length > 0).Select(r => (r.Group, r.Version)).Distinct();
}
