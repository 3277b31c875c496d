using OrleansGate.Audit;

namespace OrleansGate.Edge.Tests.Sessions;

/// <summary>
/// A stand-in for the audit store, in memory, for the session pump's own logic: a test holds an append open
/// (<see cref="Hold"/>) or makes the next ones fail (<see cref="Failing"/>) at a point of its choosing, which a real
/// PostgreSQL cannot be made to do between two lines of a test. Each append is kept as one batch.
/// </summary>
internal sealed class GatedAuditSinkStandIn : IAuditSink
{
    private readonly Lock _lock = new();
    private TaskCompletionSource? _gate;

    public List<AuditRow[]> Batches { get; } = [];

    public IEnumerable<AuditRow> Rows => Batches.SelectMany(b => b);

    /// <summary>Appends fail (nothing written, a definite refusal) while set.</summary>
    public bool Failing { get; set; }

    /// <summary>Set when an append arrived and waits for <see cref="Release"/>.</summary>
    public TaskCompletionSource Arrived { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The next appends wait until <see cref="Release"/>.</summary>
    public void Hold()
    {
        lock (_lock)
        {
            _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public void Release()
    {
        TaskCompletionSource? gate;
        lock (_lock)
        {
            gate = _gate;
            _gate = null;
        }

        gate?.TrySetResult();
    }

    public ValueTask AppendAsync(AuditRow row, CancellationToken cancellationToken = default) => AppendAsync([row], cancellationToken);

    public async ValueTask AppendAsync(IReadOnlyList<AuditRow> rows, CancellationToken cancellationToken = default)
    {
        Task? gate;
        lock (_lock)
        {
            gate = _gate?.Task;
        }

        if (gate is not null)
        {
            Arrived.TrySetResult();
            await gate;
        }

        if (Failing)
        {
            throw new AuditUnavailableException("the stand-in store refuses");
        }

        lock (_lock)
        {
            Batches.Add([.. rows]);
        }
    }

    public ValueTask<AuditChainHead?> ReadHeadAsync(string chainId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            var last = Rows.LastOrDefault();
            return ValueTask.FromResult<AuditChainHead?>(last is null ? null : new AuditChainHead(last.SessionSeq, last.Hash));
        }
    }

    public ValueTask ProbeAsync(CancellationToken cancellationToken = default) =>
        Failing ? ValueTask.FromException(new AuditUnavailableException("the stand-in store refuses")) : ValueTask.CompletedTask;
}
