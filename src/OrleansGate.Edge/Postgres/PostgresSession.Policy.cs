using System.Buffers;
using OrleansGate.Edge.Classification;
using OrleansGate.Model;

namespace OrleansGate.Edge.Postgres;

/// <summary>
/// Extended-protocol bookkeeping for the policy: a statement is decided at Parse; its portals remember that
/// decision; Execute decides again when the cluster's policy version moved since, so neither a named
/// statement nor a portal carries an old "allow" past a policy change.
/// </summary>
public sealed partial class PostgresSession
{
    /// <summary>Bounds what a client can make the edge remember; past it, old names are forgotten and refused.</summary>
    private const int MaxRememberedStatements = 10_000;

    private readonly Dictionary<string, PreparedStatementDecision> _prepared = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PreparedStatementDecision> _portals = new(StringComparer.Ordinal);

    private void RememberParse(string statementName, string sql, Decision decision)
    {
        _services.Statements.PolicyVersions?.Observe(decision.PolicyVersion);
        if (_prepared.Count >= MaxRememberedStatements && !_prepared.ContainsKey(statementName))
        {
            _prepared.Clear();
        }

        _prepared[statementName] = new PreparedStatementDecision(statementName, sql, decision);
    }

    /// <summary>
    /// Remembers which statement a portal was bound from, and decides the Bind like an Execute: a statement
    /// refused at Parse is refused here with the same decision (not with the target's "does not exist").
    /// </summary>
    private async ValueTask<Decision?> DecideBindAsync(string portalName, string statementName)
    {
        if (_portals.Count >= MaxRememberedStatements && !_portals.ContainsKey(portalName))
        {
            _portals.Clear();
        }

        if (!_prepared.TryGetValue(statementName, out var statement))
        {
            // Bound from a statement this session never parsed: the target refuses the Bind itself.
            _portals.Remove(portalName);
            return null;
        }

        _portals[portalName] = statement;
        return await DecideAgainIfChangedAsync(statement).ConfigureAwait(false);
    }

    private void ForgetClosed(byte kind, string name)
    {
        if (kind == (byte)'S')
        {
            _prepared.Remove(name);
        }
        else if (kind == (byte)'P')
        {
            _portals.Remove(name);
        }
    }

    /// <summary>
    /// The decision for executing <paramref name="portalName"/>: the Parse decision, or a new one when the
    /// policy version changed since. Null for a portal this session did not bind (a cursor opened by a
    /// DECLARE that was itself decided, or one the target does not know and refuses).
    /// </summary>
    private async ValueTask<Decision?> DecideExecuteAsync(string portalName)
    {
        if (!_portals.TryGetValue(portalName, out var statement))
        {
            return null;
        }

        return await DecideAgainIfChangedAsync(statement).ConfigureAwait(false);
    }

    private async ValueTask<Decision> DecideAgainIfChangedAsync(PreparedStatementDecision statement)
    {
        var decision = statement.Decision;
        var known = _services.Statements.PolicyVersions?.Version ?? 0;
        if (decision.IsAllowed && known != decision.PolicyVersion)
        {
            decision = await AuthorizeAsync(StatementSource.Parse, statement.StatementName, statement.Sql).ConfigureAwait(false);
            _services.Statements.PolicyVersions?.Observe(decision.PolicyVersion);
            statement.Decision = decision;
        }

        return decision;
    }

    /// <summary>
    /// Refuses a Bind or Execute in its place in the pipeline: a Parse of the unnamed statement the target
    /// rejects, so the error arrives where the refused message's answer would have, and the target skips to Sync.
    /// </summary>
    private void InjectDeniedExtended(IBufferWriter<byte> upstream, Decision decision) => InjectDeniedParse(upstream, "", decision);
}
