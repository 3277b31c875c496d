using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace OrleansGate.Audit.Signing;

/// <summary>
/// Serialises a writer's batches with its seal, in the audit store: a node paused long enough to be declared dead (SIGSTOP,
/// a frozen VM) is sealed by a live node, and when it resumes it must not append after the seal what it held.
/// </summary>
/// <remarks>
/// Each batch takes the writer's transaction-level advisory lock <em>shared</em>, then inserts only while the writer has
/// no seal (number 0), with a snapshot taken after the lock. A sealer holds the same lock <em>exclusively</em> from before
/// it reads the writer's tail until its seal has committed. So a batch either committed before the sealer read the tail
/// (the seal covers it) or runs after the seal committed (and writes nothing). Batches of one writer never wait for each
/// other (shared), and a batch waits only while that writer is being sealed.
/// </remarks>
public static class AuditWriterFence
{
    /// <summary>The first statement of a writer's batch ($1: <see cref="LockKey"/>).</summary>
    public const string SharedLockSql = "SELECT pg_advisory_xact_lock_shared($1)";

    /// <summary>The sealer's lock ($1: <see cref="LockKey"/>), bounded by the <c>lock_timeout</c> it sets first.</summary>
    public const string ExclusiveLockSql = "SELECT pg_advisory_xact_lock($1)";

    /// <summary>How long a sealer waits for a writer's batch in flight (one that stopped mid-send holds it) before it tries later.</summary>
    public static readonly TimeSpan SealLockTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The advisory lock key of <paramref name="writer"/>: 64 bits of a hash of its id (a collision only makes one wait).</summary>
    public static long LockKey(string writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes("orleansgate-audit-writer\n" + writer), hash);
        return BinaryPrimitives.ReadInt64BigEndian(hash);
    }
}
