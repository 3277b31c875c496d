namespace OrleansGate.Edge.Sessions;

/// <summary>
/// The graceful drain of this edge (SIGTERM, host stop). Once it has begun, new logins are refused and each session ends
/// at its next transaction boundary; at the deadline the sessions left are ended anyway. One instance per process.
/// </summary>
/// <remarks>
/// Sessions take part through the two tokens: <see cref="Draining"/> (end at your next boundary) and
/// <see cref="Deadline"/> (end now). Each connection is counted from accept to close (<see cref="Enter"/>,
/// <see cref="Exit"/>), so the drain also waits for one that was still logging in when it began.
/// </remarks>
public sealed class EdgeDrain
{
    private readonly Lock _beginning = new();
    private readonly CancellationTokenSource _draining = new();
    private readonly CancellationTokenSource _deadline = new();
    private readonly TaskCompletionSource _empty = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _live;
    private int _atBoundary;
    private int _atDeadline;
    private int _otherwise;

    /// <summary>Cancelled when the drain begins: each session ends at its next transaction boundary.</summary>
    public CancellationToken Draining => _draining.Token;

    /// <summary>Cancelled when the drain deadline passes: every session left ends now.</summary>
    public CancellationToken Deadline => _deadline.Token;

    public bool IsDraining => _draining.IsCancellationRequested;

    /// <summary>Connections open on this edge (logging in or in session).</summary>
    public int Live => Volatile.Read(ref _live);

    /// <summary>Completes once the drain has begun and no connection is left.</summary>
    public Task Empty => _empty.Task;

    /// <summary>A connection was accepted.</summary>
    public void Enter() => Interlocked.Increment(ref _live);

    /// <summary>A connection closed; <paramref name="how"/> says whether the drain ended it, and how.</summary>
    public void Exit(DrainEnd how)
    {
        switch (how)
        {
            case DrainEnd.AtBoundary:
                Interlocked.Increment(ref _atBoundary);
                break;
            case DrainEnd.AtDeadline:
                Interlocked.Increment(ref _atDeadline);
                break;
            default:
                if (IsDraining)
                {
                    Interlocked.Increment(ref _otherwise);
                }

                break;
        }

        if (Interlocked.Decrement(ref _live) == 0 && IsDraining)
        {
            _empty.TrySetResult();
        }
    }

    /// <summary>Begins the drain (once; later calls do nothing); returns the connections open at that moment.</summary>
    public int Begin()
    {
        lock (_beginning)
        {
            if (IsDraining)
            {
                return Live;
            }

            // Each session's callback runs here and ends an idle session at once (it only flags it: the relay sends the FATAL).
            _draining.Cancel();
        }

        if (Live == 0)
        {
            _empty.TrySetResult();
        }

        return Live;
    }

    /// <summary>Ends every session left, whatever it is doing (the deadline).</summary>
    public int EndRemaining()
    {
        var left = Live;
        _deadline.Cancel();
        return left;
    }

    /// <summary>How the sessions that closed during the drain ended.</summary>
    public (int AtBoundary, int AtDeadline, int Otherwise) Ended =>
        (Volatile.Read(ref _atBoundary), Volatile.Read(ref _atDeadline), Volatile.Read(ref _otherwise));
}
