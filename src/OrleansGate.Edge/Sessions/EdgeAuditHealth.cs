namespace OrleansGate.Edge.Sessions;

/// <summary>
/// What the sessions of this edge last saw of the audit store: a failed write (a refused statement, completions that
/// could not be written) or a successful one. Executions of prepared statements are audited by their completions,
/// after they ran; while the store is seen failing, every session refuses them at once instead of running them until
/// its own next completion flush fails.
/// </summary>
public sealed class EdgeAuditHealth
{
    private volatile bool _failing;

    public bool Failing => _failing;

    public void Observed(bool written) => _failing = !written;
}
