namespace OrleansGate.Edge.Postgres;

/// <summary>
/// Counts connections that have not finished logging in. Each may hold up to the pre-authentication message cap
/// for up to the authentication timeout, so without a bound a flood of silent sockets could make the edge allocate
/// without limit before anyone has shown a token.
/// </summary>
public sealed class PendingLogins(int limit)
{
    private int _count;

    /// <summary>Connections currently logging in (back to its old value once they finish: nothing leaks).</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Takes a place; false (and nothing taken) when <paramref name="limit"/> connections are already logging in.</summary>
    public bool TryEnter()
    {
        if (Interlocked.Increment(ref _count) <= limit)
        {
            return true;
        }

        Interlocked.Decrement(ref _count);
        return false;
    }

    public void Exit() => Interlocked.Decrement(ref _count);
}
