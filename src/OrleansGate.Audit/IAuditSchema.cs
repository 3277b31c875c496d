namespace OrleansGate.Audit;

/// <summary>
/// Makes sure the audit store has its tables before the first write. A silo installs them (the schema installer lives
/// with the grains, which own the other scripts too); elsewhere they are expected to be there (a missing table is then
/// a store failure like any other: records are refused).
/// </summary>
public interface IAuditSchema
{
    ValueTask EnsureAsync(CancellationToken cancellationToken);
}
