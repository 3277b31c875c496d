namespace OrleansGate.Audit;

/// <summary>
/// The audit store: one writer per silo. <see cref="AppendAsync"/> completes only once the row is durable and
/// throws <see cref="AuditUnavailableException"/> when it cannot be (then nothing of it may be reported as written).
/// Grains do not call it directly: <see cref="AuditChain"/> keeps the per-session hash chain in front of it.
/// </summary>
public interface IAuditSink
{
    ValueTask AppendAsync(AuditRow row, CancellationToken cancellationToken = default);

    /// <summary>Appends several rows atomically: all of them are durable, or none is reported written.</summary>
    ValueTask AppendAsync(IReadOnlyList<AuditRow> rows, CancellationToken cancellationToken = default);

    /// <summary>The last durable record of a chain (null when it has none), to resume a chain after a failed or uncertain append.</summary>
    ValueTask<AuditChainHead?> ReadHeadAsync(string chainId, CancellationToken cancellationToken = default);

    /// <summary>Completes when the store answers and records may be written (signatures can be stored); else throws <see cref="AuditUnavailableException"/>.</summary>
    ValueTask ProbeAsync(CancellationToken cancellationToken = default);
}
