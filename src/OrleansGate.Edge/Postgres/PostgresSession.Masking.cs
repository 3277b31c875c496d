using System.Buffers;
using OrleansGate.Edge.Classification;
using OrleansGate.Edge.Masking;
using OrleansGate.Edge.Targets;
using OrleansGate.Model;
using OrleansGate.Policy.Masking;
using OrleansGate.Policy.Model;
using OrleansGate.Postgres.Protocol;

namespace OrleansGate.Edge.Postgres;

/// <summary>
/// Masks (issue 15). A session to which a mask applies when it opens relays every answer through <see cref="MaskRelay"/>.
/// Each statement is analysed (<see cref="MaskAnalyzer"/>) against the target's catalog bound to the session's masks
/// (<see cref="MaskCatalogCache"/>) when it is decided: a statement the masks refuse (derived: deny, predicates: deny, a
/// write that would copy masked values, what cannot be analysed) is refused with 42501 naming the mask, and recorded so.
/// A session that had no mask when it opened and gets one from a policy change is ended: its answers in flight were not
/// read. After a DDL statement the catalog is read again before the next statement is decided.
/// </summary>
public sealed partial class PostgresSession
{
    private ResolvedTarget? _target;

    /// <summary>Set at login when a mask applies to the session: every answer then passes through it.</summary>
    private MaskRelay? _maskRelay;

    // Client loop only.
    private MaskContext? _maskContext;
    private readonly Dictionary<string, StatementMasking?> _namedResults = new(StringComparer.Ordinal);
    private long _ddlCycle = -1;

    // Set by the upstream loop when a result named a relation the catalog did not know.
    private volatile bool _maskCatalogStale;

    /// <summary>At login, once the session is open: relay through the masks when one applies.</summary>
    private void StartMasking(ResolvedTarget target)
    {
        _target = target;
        if (_edge!.Masks(out _).Count > 0)
        {
            _maskRelay = new MaskRelay(() => _maskCatalogStale = true);
        }
    }

    /// <summary>
    /// The masking of an allowed (or approvable) statement, or the refusal that replaces its decision. Null work when no
    /// mask applies to the session.
    /// </summary>
    private async ValueTask<(Decision Decision, MaskWork? Work)> MaskAsync(string sql, SqlAction action, Decision decision, CancellationToken ct)
    {
        var masks = _edge!.Masks(out var version);
        if (masks.Count == 0)
        {
            return (decision, null);
        }

        if (_maskRelay is null)
        {
            const string reason = "a mask applies to this session since the policy changed; reconnect to have its answers masked";
            Terminate(reason);
            return (_services.EdgeSessions.Decider.Refusal(GatewayRules.MaskingUnavailable, reason), null);
        }

        try
        {
            if (_ddlCycle >= 0)
            {
                if (_ddlCycle >= _cyclesSent)
                {
                    return (_services.EdgeSessions.Decider.Refusal(GatewayRules.MaskingUnavailable,
                        "in a session with masks, a DDL statement's cycle must end (Sync) before another statement is sent"), null);
                }

                // What the DDL changed is read from the catalog once the target has answered it.
                await _upstream!.Output.FlushAsync(ct).ConfigureAwait(false);
                await _maskRelay.CycleAnsweredAsync(_ddlCycle).WaitAsync(ct).ConfigureAwait(false);
                _ddlCycle = -1;
                _services.MaskCatalogs.Invalidate(_target!.Name);
            }

            var context = await MaskContextAsync(masks, version, ct).ConfigureAwait(false);
            var analysis = context.Analyze(sql);
            if (!analysis.Parsed)
            {
                return (_services.EdgeSessions.Decider.Refusal(GatewayRules.MaskingUnavailable, "the statement could not be analysed for masked values"), null);
            }

            if (analysis.Refusal is { } refusal)
            {
                return (_services.EdgeSessions.Decider.Refusal($"mask:{refusal.Mask.Name}", refusal.Reason), null);
            }

            if ((action.Kinds & StatementKind.Ddl) != 0)
            {
                // Renaming or retyping a masked column (or its table) could take it out of the masks' globs.
                if (MaskedRelationChanged(action, context.Catalog.Names) is { } changed)
                {
                    return (_services.EdgeSessions.Decider.Refusal($"mask:{changed.Mask.Name}",
                        $"DDL on {changed.Relation}, which has masked columns, is refused in a session with masks"), null);
                }

                if (analysis.Statements.Count > 1)
                {
                    return (_services.EdgeSessions.Decider.Refusal(GatewayRules.MaskingUnavailable,
                        "in a session with masks, a DDL statement is sent on its own (the masks are read again after it)"), null);
                }

                _ddlCycle = _cyclesSent;
            }

            return (decision, Work(context, analysis));
        }
        catch (Exception e) when (e is MaskCatalogUnavailableException or MaskKeyUnavailableException)
        {
            return (new Decision(DecisionEffect.Unavailable, GatewayRules.MaskingUnavailable, e.Message, version, 0), null);
        }
    }

    /// <summary>The first relation a DDL statement writes or locks that has masked columns, with its mask; null when none.</summary>
    private static (string Relation, PolicyMask Mask)? MaskedRelationChanged(SqlAction action, MaskedRelations names)
    {
        foreach (var relation in action.RelationsWritten.Concat(action.RelationsLocked))
        {
            var dot = relation.LastIndexOf('.');
            var schema = dot < 0 ? null : relation[..dot];
            var name = dot < 0 ? relation : relation[(dot + 1)..];
            if (names.TryGetRelation(schema, name, out var columns) || (schema is not null && names.TryGetRelation(null, name, out columns)))
            {
                return (relation, columns.Values.First());
            }
        }

        return null;
    }

    /// <summary>The session's masks bound to the target's current catalog (made again when the catalog or the policy changed).</summary>
    private async ValueTask<MaskContext> MaskContextAsync(IReadOnlyList<PolicyMask> masks, long version, CancellationToken ct)
    {
        if (_maskCatalogStale)
        {
            _maskCatalogStale = false;
            _services.MaskCatalogs.Invalidate(_target!.Name);
        }

        var catalog = await _services.MaskCatalogs.GetAsync(_target!, masks, version, ct).ConfigureAwait(false);
        if (_maskContext is { } current && current.PolicyVersion == version && ReferenceEquals(current.Catalog, catalog))
        {
            return current;
        }

        var maskers = new Dictionary<PolicyMask, ValueMasker>(ReferenceEqualityComparer.Instance);
        var detectors = new List<DetectorGroup>();
        foreach (var mask in masks)
        {
            var masker = new ValueMasker(mask, mask.Method == MaskMethod.Hash ? MaskKeys.Resolve(mask) : null);
            maskers[mask] = masker;
            if (mask.Detectors.Count > 0)
            {
                detectors.Add(new DetectorGroup(DetectorSet.Create(mask.Detectors, mask.Patterns), masker));
            }
        }

        return _maskContext = new MaskContext(version, catalog, maskers, detectors);
    }

    /// <summary>The work of one request: cursors and SQL-prepared statements are remembered by name and looked up when used.</summary>
    private MaskWork Work(MaskContext context, MaskAnalysis analysis)
    {
        var statements = new StatementMasking?[analysis.Statements.Count];
        var touches = analysis.TouchesMaskedData;
        for (var i = 0; i < statements.Length; i++)
        {
            var statement = analysis.Statements[i];
            if (statement.DeclaresCursor is { } cursor)
            {
                _namedResults["cursor:" + cursor] = statement;
            }
            else if (statement.PreparesName is { } prepared)
            {
                _namedResults["prepared:" + prepared] = statement;
            }
            else if (statement.FetchesCursor is { } fetched)
            {
                statement = Named("cursor:" + fetched, ref touches);
            }
            else if (statement.ExecutesName is { } executed)
            {
                statement = Named("prepared:" + executed, ref touches);
            }

            statements[i] = statement;
        }

        return new MaskWork(context, statements, touches);
    }

    /// <summary>A remembered result; null (everything not tied to a table column masked) for a name not seen declared.</summary>
    private StatementMasking? Named(string key, ref bool touches)
    {
        var found = _namedResults.GetValueOrDefault(key);
        touches |= found is null || found.TouchesMaskedData;
        return found;
    }

    /// <summary>
    /// Before an Execute runs a statement prepared under other masks or another catalog, it is analysed again; the refusal
    /// of the masks, if any, replaces its decision.
    /// </summary>
    private async ValueTask<Decision> RefreshMaskingAsync(PreparedStatementDecision statement, Decision decision, CancellationToken ct)
    {
        if (_maskRelay is null || !decision.IsAllowed)
        {
            return decision;
        }

        var masks = _edge!.Masks(out var version);
        if (masks.Count > 0 && statement.Masking is { } work && work.Context == _maskContext && _maskContext?.PolicyVersion == version && !_maskCatalogStale)
        {
            return decision;
        }

        var (masked, refreshed) = await MaskAsync(statement.Sql, _services.Statements.Summarize(statement.Sql), decision, ct).ConfigureAwait(false);
        statement.Masking = refreshed;
        return masked.IsAllowed ? masked : await AuditedRefusalAsync(masked, statement.Sql).ConfigureAwait(false);
    }

    /// <summary>
    /// Before an allowed Execute, the plan of its rows: the client's own Describe of that portal just before it, or else
    /// the gateway's Describe, whose answer is not relayed.
    /// </summary>
    private void ExpectMaskedExecute(IBufferWriter<byte> upstream, string portal, MaskWork? work)
    {
        if (_maskRelay is not { } relay)
        {
            return;
        }

        if (_heldDescribe is { } held && held.Portal == portal)
        {
            ReleaseHeldDescribe(upstream, work);
        }
        else
        {
            ReleaseHeldDescribe(upstream);
            FrontendWriter.Describe(upstream, (byte)'P', portal);
            relay.Expect(MaskExpectKind.InjectedDescribe, work);
        }

        relay.Expect(MaskExpectKind.Execute, work);
    }

    /// <summary>A client's Describe of a portal, held in a session with masks until the next message is seen (PostgresSession.Relay.cs).</summary>
    private (string Portal, byte[] Raw)? _heldDescribe;

    /// <summary>Holds a client's Describe of a portal (true), in a session with masks: when the Execute of that portal follows, its answer is the plan.</summary>
    private bool HoldDescribe(in PgMessage message, byte kind, string name)
    {
        if (_maskRelay is null || kind != (byte)'P')
        {
            return false;
        }

        _heldDescribe = (name, message.Raw.ToArray());
        return true;
    }

    /// <summary>Forwards a held Describe: as the plan of <paramref name="planFor"/>'s rows, or (null) as the client's own.</summary>
    private void ReleaseHeldDescribe(IBufferWriter<byte> upstream, MaskWork? planFor = null)
    {
        if (_heldDescribe is not { } held)
        {
            return;
        }

        _heldDescribe = null;
        _maskRelay!.Expect(planFor is null ? MaskExpectKind.ClientDescribe : MaskExpectKind.PlanningDescribe, planFor);
        upstream.Write(held.Raw);
    }

    /// <summary>How many values each mask replaced in the statement now ending, for its record.</summary>
    private StatementCompletion WithMaskCounts(StatementCompletion completion)
    {
        if (_maskRelay is not { Counts.IsEmpty: false } relay)
        {
            return completion;
        }

        var masked = relay.Counts.Summary();
        relay.Counts.Clear();
        return completion with { Masked = masked };
    }
}
