namespace OrleansGate.Grains;

/// <summary>Names of the Orleans providers the grains depend on; the host registers them under these names.</summary>
public static class GrainStorage
{
    /// <summary>Grain state provider (ADO.NET on the gateway's own PostgreSQL state database).</summary>
    public const string Name = "gate";
}
