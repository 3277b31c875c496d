namespace OrleansGate.Host.Hosting;

/// <summary>What one orleansgate process runs.</summary>
public enum GatewayRole
{
    /// <summary>Silo and edge in one process: the default, and what a single machine runs.</summary>
    All,

    /// <summary>Grains only: membership, grain state, audit writer.</summary>
    Silo,

    /// <summary>Protocol listeners only, as an Orleans client: no grain state, safe to kill at any time.</summary>
    Edge,
}
