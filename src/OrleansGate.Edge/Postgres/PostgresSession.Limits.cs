using System.Buffers;
using OrleansGate.Model;
using OrleansGate.Postgres.Protocol;

namespace OrleansGate.Edge.Postgres;

/// <summary>
/// The agent's cluster-wide limits on statements: checked before a Query or an Execute is decided and sent (the rate, then
/// the rows budgets); rows are charged from the target's CommandComplete counts as they pass.
/// </summary>
public sealed partial class PostgresSession
{
    /// <summary>A COPY FROM STDIN is running: its CommandComplete counts rows changed, not read (upstream loop only).</summary>
    private bool _copyingIn;

    /// <summary>
    /// The refusal (53400, audited as a refusal) when the agent's statement rate is spent, or a rows budget the statement
    /// would add to is; else null. The session stays usable: the refusal replaces the statement's answer. When the agent
    /// grain cannot be asked, the statement is refused.
    /// </summary>
    private async ValueTask<Decision?> OverLimitAsync(string? sql)
    {
        Decision? refusal;
        try
        {
            refusal = await _edge!.StatementLimitAsync().ConfigureAwait(false);
            if (refusal is null && _edge.Limits() is { RowsRead: not null } or { RowsChanged: not null })
            {
                // Classified here only for an agent with rows budgets (the cache answers the decision's own call after it).
                refusal = await _edge.RowBudgetAsync(sql is null ? SqlAction.Opaque : _services.Statements.Summarize(sql)).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Fail closed: a limit that cannot be checked refuses the statement.
            LogDecisionUnavailable(_logger, _session!.SessionId, e.Message);
            return new Decision(DecisionEffect.Unavailable, GatewayRules.ClusterUnavailable, "the gateway could not check the agent's limits", 0, 0);
        }

        return refusal is null ? null : await AuditedRefusalAsync(refusal, sql).ConfigureAwait(false);
    }

    /// <summary>
    /// Charges the rows a CommandComplete reports: INSERT, UPDATE, DELETE, MERGE and COPY FROM as changed; SELECT, FETCH and
    /// COPY TO as read. Called for every message from the target; costs nothing for an agent without rows budgets.
    /// </summary>
    private void ChargeRows(in PgMessage message)
    {
        if (message.Code == (byte)BackendMessageCode.CopyInResponse)
        {
            _copyingIn = true;
            return;
        }

        if (message.Code != (byte)BackendMessageCode.CommandComplete || _edge is not { } edge)
        {
            return;
        }

        var copyIn = _copyingIn;
        _copyingIn = false;
        var limits = edge.Limits();
        if ((limits.RowsChanged is null && limits.RowsRead is null) || BackendMessages.ReadCommandCompleteCount(message.Payload) is not { } rows || rows == 0)
        {
            return;
        }

        Span<byte> tag = stackalloc byte[8];
        var verb = CommandVerb(message.Payload, tag);
        if (verb.SequenceEqual("INSERT"u8) || verb.SequenceEqual("UPDATE"u8) || verb.SequenceEqual("DELETE"u8) || verb.SequenceEqual("MERGE"u8)
            || (copyIn && verb.SequenceEqual("COPY"u8)))
        {
            edge.ChargeRows(read: 0, changed: rows);
        }
        else if (verb.SequenceEqual("SELECT"u8) || verb.SequenceEqual("FETCH"u8) || verb.SequenceEqual("COPY"u8))
        {
            edge.ChargeRows(read: rows, changed: 0);
        }
    }

    /// <summary>The first word of a command tag (<c>INSERT 0 3</c> → <c>INSERT</c>), copied into <paramref name="buffer"/>.</summary>
    private static ReadOnlySpan<byte> CommandVerb(in ReadOnlySequence<byte> payload, Span<byte> buffer)
    {
        var length = (int)Math.Min(payload.Length, buffer.Length);
        payload.Slice(0, length).CopyTo(buffer);
        var space = buffer[..length].IndexOf((byte)' ');
        return buffer[..(space < 0 ? length : space)];
    }
}
