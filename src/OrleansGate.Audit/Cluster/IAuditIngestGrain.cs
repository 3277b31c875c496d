namespace OrleansGate.Audit.Cluster;

/// <summary>
/// How a node without a silo of its own (role <c>edge</c>) writes its sessions' records: through a silo's audit store.
/// The edge keeps each chain (numbers, links, hashes) and sends the rows as they are to be stored; the silo writes and
/// signs them like its own. A stateless worker, so every silo takes a share.
/// </summary>
[Alias("OrleansGate.IAuditIngestGrain")]
public interface IAuditIngestGrain : IGrainWithIntegerKey
{
    /// <summary>Completes once the rows are durable; an <see cref="AuditUnavailableException"/> otherwise (what it says of the outcome holds).</summary>
    [Alias("Append")]
    Task Append(AuditRow[] rows);

    [Alias("ReadHead")]
    Task<AuditChainHead?> ReadHead(string chainId);

    [Alias("Probe")]
    Task Probe();
}
