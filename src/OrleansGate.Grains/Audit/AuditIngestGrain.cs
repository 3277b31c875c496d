using Orleans.Concurrency;
using OrleansGate.Audit;
using OrleansGate.Audit.Cluster;

namespace OrleansGate.Grains.Audit;

/// <summary>Writes the rows of edges without a silo into this silo's audit store (see <see cref="IAuditIngestGrain"/>).</summary>
[StatelessWorker]
public sealed class AuditIngestGrain(IAuditSink audit) : Grain, IAuditIngestGrain
{
    public async Task Append(AuditRow[] rows) => await audit.AppendAsync(rows);

    public async Task<AuditChainHead?> ReadHead(string chainId) => await audit.ReadHeadAsync(chainId);

    public async Task Probe() => await audit.ProbeAsync();
}
