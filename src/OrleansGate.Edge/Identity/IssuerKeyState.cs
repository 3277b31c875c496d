namespace OrleansGate.Edge.Identity;

/// <summary>The cached keys of one issuer on this node, and when it was last asked for them.</summary>
internal sealed class IssuerKeyState : IDisposable
{
    private volatile IssuerKeySnapshot? _current;
    private int _waiting;

    /// <summary>Serialises fetches so that concurrent logins with an unknown kid cause one request, not one each.</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>The last keys fetched successfully; read without the gate (replaced whole, never mutated).</summary>
    public IssuerKeySnapshot? Current
    {
        get => _current;
        set => _current = value;
    }

    /// <summary>When the last fetch was started, successful or not; guarded by <see cref="Gate"/>.</summary>
    public DateTimeOffset? LastAttempt { get; set; }

    /// <summary>
    /// How many fetches finished (succeeded or failed; a cancelled one does not count), so a caller that waited can tell
    /// whether one finished since; guarded by <see cref="Gate"/>.
    /// </summary>
    public long Attempts { get; set; }

    /// <summary>Why the last fetch failed, while no later one has succeeded; guarded by <see cref="Gate"/>.</summary>
    public string? LastFailure { get; set; }

    /// <summary>The wait for the next allowed fetch, shared by every caller with an unknown kid; guarded by <see cref="Gate"/>.</summary>
    public Task? NextSlot { get; set; }

    /// <summary>When <see cref="NextSlot"/> ends; guarded by <see cref="Gate"/>.</summary>
    public DateTimeOffset NextSlotAt { get; set; }

    /// <summary>Callers waiting for <see cref="NextSlot"/> right now (outside the gate).</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    public void EnterWait() => Interlocked.Increment(ref _waiting);

    public void ExitWait() => Interlocked.Decrement(ref _waiting);

    public void Dispose() => Gate.Dispose();
}
