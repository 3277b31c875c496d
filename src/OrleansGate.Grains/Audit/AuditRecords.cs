using OrleansGate.Model;

namespace OrleansGate.Grains.Audit;

/// <summary>Builds the audit record of each event from what the grain knows, so grains stay free of audit details.</summary>
public static class AuditRecords
{
    /// <summary>A statement and its decision: normalised text and fingerprint only, never the text as sent.</summary>
    public static AuditRecord Statement(DateTimeOffset at, SessionInfo session, StatementSummary statement, Decision decision)
    {
        ArgumentNullException.ThrowIfNull(statement);
        return new AuditRecord(AuditEventKind.Statement, at, session, NullIfEmpty(statement.Fingerprint), NullIfEmpty(statement.NormalizedSql), decision)
        {
            StatementKinds = NullIfEmpty(statement.Kinds),
            RelationsRead = statement.RelationsRead,
            RelationsWritten = statement.RelationsWritten,
        };
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
