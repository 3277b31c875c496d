namespace OrleansGate.Edge.Postgres;

/// <summary>
/// The request of a session that waits for an approval, as a cancel finds it: a CancelRequest for the session withdraws
/// it instead of reaching the target (which has nothing of it to cancel).
/// </summary>
public sealed class WaitingRequest
{
    private CancellationTokenSource? _withdraw;

    /// <summary>A request starts waiting: the token is cancelled by <see cref="TryWithdraw"/>.</summary>
    public CancellationToken Begin()
    {
        var withdraw = new CancellationTokenSource();
        Volatile.Write(ref _withdraw, withdraw);
        return withdraw.Token;
    }

    /// <summary>The request no longer waits.</summary>
    public void End() => Interlocked.Exchange(ref _withdraw, null)?.Dispose();

    /// <summary>Withdraws the waiting request; false when none waits (the cancel is then for the target).</summary>
    public bool TryWithdraw()
    {
        var withdraw = Volatile.Read(ref _withdraw);
        if (withdraw is null)
        {
            return false;
        }

        try
        {
            withdraw.Cancel();
            return true;
        }
        catch (ObjectDisposedException)
        {
            return false; // It stopped waiting meanwhile.
        }
    }
}
