namespace OrleansGate.Audit.Signing;

/// <summary>
/// One writer's own sequence and running digest: the rows it appended, in the order it numbered them, with no gap.
/// Its loop numbers each batch, then folds the batch into the digest once the batch is durable, so the digest is
/// built from what was written, never from what is read back; the <see cref="AuditSigner"/> signs it at short intervals.
/// </summary>
/// <remarks>
/// A batch that failed before or inside PostgreSQL (a refused connection, an error response: nothing committed) gives
/// its numbers back. A batch whose answer was lost may or may not have committed: its numbers are never reused. The
/// loop finds out which (<see cref="Resolve"/>) before it writes again, and folds it as rows or as void; the next
/// signature lists the void numbers, so a verifier knows they hold no row on purpose.
/// </remarks>
public sealed class WriterStream(string writerId)
{
    private readonly Lock _lock = new();
    private readonly byte[] _digest = new byte[WriterDigest.Size];
    private readonly List<long[]> _void = [];
    private long _next = 1;
    private long _durable;
    private Sent? _unresolved;

    public string WriterId { get; } = writerId;

    /// <summary>This writer's advisory lock key in the audit store (<see cref="AuditWriterFence"/>), made once.</summary>
    public long FenceKey { get; } = AuditWriterFence.LockKey(writerId);

    /// <summary>Set once the writer's start signature is stored: no row is written before it.</summary>
    public bool Started { get; set; }

    /// <summary>
    /// Another node sealed this writer (it saw this node declared dead): the store refuses its rows from then on, and it
    /// signs no end (the seal is its end).
    /// </summary>
    public volatile bool Sealed;

    /// <summary>A batch whose answer was lost and whose fate is not known yet; the loop resolves it before the next batch.</summary>
    public Sent? Unresolved => _unresolved;

    /// <summary>The numbers for <paramref name="hashes"/>: the first one; they follow without a gap.</summary>
    public Sent Reserve(IReadOnlyList<string> hashes, string firstChainId, long firstChainSeq)
    {
        ArgumentNullException.ThrowIfNull(hashes);
        if (_unresolved is not null)
        {
            throw new InvalidOperationException($"writer {WriterId} has a batch of unknown outcome; it must be resolved first");
        }

        var sent = new Sent(_next, hashes, firstChainId, firstChainSeq);
        _next += hashes.Count;
        return sent;
    }

    /// <summary>The batch is durable: its rows join the digest.</summary>
    public void Committed(Sent batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        lock (_lock)
        {
            for (var i = 0; i < batch.Hashes.Count; i++)
            {
                WriterDigest.FoldRow(_digest, batch.First + i, batch.Hashes[i]);
            }

            _durable = batch.Last;
        }
    }

    /// <summary>Nothing of the batch can have committed (nothing was sent, or PostgreSQL refused it): its numbers are used again.</summary>
    public void Refused(Sent batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Last != _next - 1)
        {
            throw new InvalidOperationException($"writer {WriterId}: only the last batch can give its numbers back");
        }

        _next = batch.First;
    }

    /// <summary>The batch's answer was lost: its outcome is settled by <see cref="Resolve"/> before anything else is written.</summary>
    public void Uncertain(Sent batch) => _unresolved = batch;

    /// <summary>Settles the batch of unknown outcome: its rows are durable, or its numbers are void.</summary>
    public void Resolve(bool committed)
    {
        var batch = _unresolved ?? throw new InvalidOperationException($"writer {WriterId} has nothing to resolve");
        if (committed)
        {
            Committed(batch);
        }
        else
        {
            lock (_lock)
            {
                for (var seq = batch.First; seq <= batch.Last; seq++)
                {
                    WriterDigest.FoldVoid(_digest, seq);
                }

                _durable = batch.Last;
                _void.Add([batch.First, batch.Last]);
            }
        }

        _unresolved = null;
    }

    /// <summary>What the signer signs: the durable rows so far, their digest, and the void ranges not yet signed.</summary>
    public (long Seq, string Digest, IReadOnlyList<long[]> Void) Snapshot()
    {
        lock (_lock)
        {
            return (_durable, WriterDigest.Format(_digest), [.. _void]);
        }
    }

    /// <summary>The void ranges up to <paramref name="seq"/> are in a stored signature now.</summary>
    public void VoidSigned(long seq)
    {
        lock (_lock)
        {
            _void.RemoveAll(range => range[1] <= seq);
        }
    }

    /// <summary>A batch as numbered: its first number, its rows' chain hashes in order, and its first row's chain position (to look it up).</summary>
    public sealed record Sent(long First, IReadOnlyList<string> Hashes, string FirstChainId, long FirstChainSeq)
    {
        public long Last => First + Hashes.Count - 1;
    }
}
