namespace OrleansGate.Audit.Signing;

/// <summary>
/// Who runs this process's writers, as its start signatures state it: the node name, the cluster, and the silo address
/// (with its generation) that membership reports dead when the process is gone, so a live node can seal its writers.
/// </summary>
public sealed class AuditWriterIdentity(string node, string? cluster, Func<string?>? silo)
{
    public string Node { get; } = node;

    public string? Cluster { get; } = cluster;

    /// <summary>Read when a writer starts (the silo address is known once the silo runs); null outside a silo.</summary>
    public string? Silo => silo?.Invoke();

    /// <summary>A process without a silo (tests, tools): its writers are sealed only by an operator or a test.</summary>
    public static AuditWriterIdentity Standalone(string node) => new(node, null, null);
}
