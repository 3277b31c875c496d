using Orleans.Concurrency;
using OrleansGate.Model;

namespace OrleansGate.Grains;

/// <summary>
/// Audits the logins one edge node (the key) refused before any session existed, as one hash chain. Not a
/// stateless worker: a chain needs a single writer. Refusals are queued (bounded) and written in order; when
/// the queue is full they are dropped and counted, and the count is recorded once the queue drains.
/// </summary>
[Alias("OrleansGate.ILoginAuditGrain")]
public interface ILoginAuditGrain : IGrainWithStringKey
{
    /// <summary>Queues the refusal and returns at once; false when the queue was full and it was dropped (counted).</summary>
    [Alias("Record"), AlwaysInterleave]
    Task<bool> Record(LoginRefusal refusal);

    /// <summary>Completes once every refusal queued before the call is durable (or was given up); returns how many this activation wrote.</summary>
    [Alias("Flushed"), AlwaysInterleave]
    Task<long> Flushed();
}
