namespace OrleansGate.Edge.Identity;

/// <summary>The cached keys of one issuer on this node, and when it was last asked for them.</summary>
internal sealed class IssuerKeyState : IDisposable
{
    private volatile IssuerKeySnapshot? _current;

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

    /// <summary>Why the last fetch failed, while no later one has succeeded; guarded by <see cref="Gate"/>.</summary>
    public string? LastFailure { get; set; }

    public void Dispose() => Gate.Dispose();
}
