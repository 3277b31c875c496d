using OrleansGate.Model;
using OrleansGate.Postgres.Protocol;

namespace OrleansGate.Edge.Postgres;

/// <summary>
/// Statements an approve rule holds. The client loop waits (so the session's later messages wait behind the statement,
/// in order); the agent is told at once, by a NoticeResponse, which approval it waits for and where it is decided; a
/// CancelRequest withdraws it (57014). A statement waiting inside a transaction keeps that transaction open at the
/// target, whose own idle_in_transaction_session_timeout may end the session meanwhile.
/// </summary>
public sealed partial class PostgresSession
{
    /// <summary>Serialises writes to the client between the upstream loop and an approval's notice (the only other writer).</summary>
    private readonly SemaphoreSlim _clientWrites = new(1, 1);

    /// <summary>The approval outcome of a statement an approve rule decided: allowed (and recorded), or a refusal.</summary>
    private async ValueTask<Decision> AwaitApprovalAsync(string sql, Decision decision, CancellationToken ct)
    {
        // What the client sent before this statement reaches the target now, not after the wait: a BEGIN before it opens
        // the transaction it waits in (and the target's own timeouts apply to it).
        await _upstream!.Output.FlushAsync(ct).ConfigureAwait(false);
        var waiting = _upstreamCancelKey?.Waiting;
        var withdraw = waiting?.Begin() ?? CancellationToken.None;
        try
        {
            return await _edge!.AwaitApprovalAsync(decision, _services.Statements.Summarize(sql), sql, view => NotifyWaitingAsync(view, ct), withdraw, ct)
                .ConfigureAwait(false);
        }
        finally
        {
            waiting?.End();
        }
    }

    /// <summary>Tells the agent, before it waits, what it waits for and where it is decided.</summary>
    private async ValueTask NotifyWaitingAsync(ApprovalView approval, CancellationToken ct)
    {
        var links = _services.EdgeSessions.ApprovalLinks;
        var page = links.PageOf(approval.Id);
        await _clientWrites.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            BackendWriter.NoticeResponse(_clientOutput, "NOTICE", "01000",
                $"statement waits for approval {approval.Id} (rule \"{approval.Request.Rule}\": {approval.Request.Reason})",
                detail: $"Waiting for {Sessions.EdgeSession.Needed(approval)}.",
                hint: page is null ? $"An approver decides with: {links.CliLine(approval.Id)}" : $"An approver decides at {page} or with: {links.CliLine(approval.Id)}");
            await _clientOutput.FlushAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _clientWrites.Release();
        }
    }
}
