using OrleansGate.Model;

namespace OrleansGate.Grains.Audit;

/// <summary>
/// The audit hook: one per silo. <see cref="AppendAsync"/> completes only once the record is durable and
/// returns its global sequence number; it throws <see cref="AuditUnavailableException"/> when it cannot be.
/// </summary>
public interface IAuditSink
{
    ValueTask<long> AppendAsync(AuditRecord record, CancellationToken cancellationToken = default);
}
