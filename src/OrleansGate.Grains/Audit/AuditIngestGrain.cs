using Orleans.Concurrency;
using OrleansGate.Audit;
using OrleansGate.Audit.Cluster;

namespace OrleansGate.Grains.Audit;

/// <summary>Writes the rows of edges without a silo into this silo's audit store (see <see cref="IAuditIngestGrain"/>).</summary>
/// <remarks>
/// What fails goes back to the edge as an <see cref="AuditUnavailableException"/> without its cause: the cause is an
/// Npgsql exception, which Orleans has no codec for, and the edge would get "could not find a codec" instead of what the
/// store said and what is known of the outcome.
/// </remarks>
[StatelessWorker]
public sealed class AuditIngestGrain(IAuditSink audit) : Grain, IAuditIngestGrain
{
    public async Task Append(AuditRow[] rows)
    {
        try
        {
            await audit.AppendAsync(rows);
        }
        catch (AuditUnavailableException e)
        {
            throw ForTheEdge(e);
        }
    }

    public async Task<AuditChainHead?> ReadHead(string chainId)
    {
        try
        {
            return await audit.ReadHeadAsync(chainId);
        }
        catch (AuditUnavailableException e)
        {
            throw ForTheEdge(e);
        }
    }

    public async Task Probe()
    {
        try
        {
            await audit.ProbeAsync();
        }
        catch (AuditUnavailableException e)
        {
            throw ForTheEdge(e);
        }
    }

    private static AuditUnavailableException ForTheEdge(AuditUnavailableException e) =>
        e.InnerException is null ? e : new(e.Message) { OutcomeUnknown = e.OutcomeUnknown, StaleHead = e.StaleHead };
}
