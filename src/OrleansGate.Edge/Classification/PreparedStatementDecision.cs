using OrleansGate.Model;

namespace OrleansGate.Edge.Classification;

/// <summary>
/// A statement the client parsed in this session, with the decision it got. Portals bound from it point
/// at this same instance, so a later Parse under the same name cannot change what an open portal runs.
/// </summary>
public sealed class PreparedStatementDecision(string statementName, string sql, Decision decision, long checkedVersion)
{
    public string StatementName { get; } = statementName;

    /// <summary>The text, kept on the edge only, to decide it again when the policy changes.</summary>
    public string Sql { get; } = sql;

    public Decision Decision { get; set; } = decision;

    /// <summary>
    /// The newest policy version this edge knew of when <see cref="Decision"/> was made (or the decision's own, if newer).
    /// An Execute is decided again only once a newer one is known: a silo whose policy cache lags the edge would
    /// otherwise decide, and record, the same statement again at every execution.
    /// </summary>
    public long CheckedVersion { get; set; } = Math.Max(checkedVersion, decision.PolicyVersion);

    /// <summary>
    /// The statement's audit record while it is not durable yet (a pure read: its Parse was forwarded at once); the
    /// decision's <see cref="Model.Decision.AuditSequence"/> holds its number once it is.
    /// </summary>
    public Sessions.AuditPump.Deferred? Record { get; set; }

    /// <summary>What the masks make of it, in a session with masks (null otherwise).</summary>
    internal Postgres.MaskWork? Masking { get; set; }
}
