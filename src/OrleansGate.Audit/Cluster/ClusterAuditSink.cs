using Orleans.Runtime;

namespace OrleansGate.Audit.Cluster;

/// <summary>
/// The audit store of a node without a silo: every append goes to a silo's store through <see cref="IAuditIngestGrain"/>.
/// A call that gets no answer may have been written: it is reported with an unknown outcome, so the chain reads its head
/// back and does not write its records twice.
/// </summary>
public sealed class ClusterAuditSink(IGrainFactory grains) : IAuditSink
{
    private IAuditIngestGrain Ingest => grains.GetGrain<IAuditIngestGrain>(0);

    public ValueTask AppendAsync(AuditRow row, CancellationToken cancellationToken = default) => AppendAsync([row], cancellationToken);

    public async ValueTask AppendAsync(IReadOnlyList<AuditRow> rows, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        try
        {
            await Ingest.Append(rows as AuditRow[] ?? [.. rows]).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (AuditUnavailableException)
        {
            throw;
        }
        catch (Exception e) when (e is OrleansException or TimeoutException or SiloUnavailableException or OperationCanceledException)
        {
            throw new AuditUnavailableException($"audit store unavailable: the cluster did not answer ({e.Message})", e) { OutcomeUnknown = true };
        }
    }

    public async ValueTask<AuditChainHead?> ReadHeadAsync(string chainId, CancellationToken cancellationToken = default)
    {
        try
        {
            return await Ingest.ReadHead(chainId).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OrleansException or TimeoutException or SiloUnavailableException)
        {
            throw new AuditUnavailableException($"audit store unavailable: the cluster did not answer ({e.Message})", e);
        }
    }

    public async ValueTask ProbeAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await Ingest.Probe().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OrleansException or TimeoutException or SiloUnavailableException)
        {
            throw new AuditUnavailableException($"audit store unavailable: the cluster did not answer ({e.Message})", e);
        }
    }
}
