using OrleansGate.Model;

namespace OrleansGate.Grains.Audit;

/// <summary>
/// One audit row exactly as stored: the writer inserts it, <c>audit verify</c> reads it back and recomputes
/// <see cref="Hash"/> from the same fields, so every value here must survive a PostgreSQL round trip unchanged
/// (times are cut to microseconds, NUL characters, which <c>text</c> cannot hold, are replaced).
/// </summary>
public sealed record AuditRow
{
    /// <summary>Genesis link: the "previous hash" of a chain's first record.</summary>
    public static readonly string GenesisHash = new('0', 64);

    /// <summary>Global sequence, assigned by the database (0 until read back).</summary>
    public long Seq { get; init; }

    /// <summary>The writer that inserted the row; its signatures cover its rows.</summary>
    public string Writer { get; init; } = "";

    /// <summary>The row's number in its writer's own gap-free sequence (0 until read back).</summary>
    public long WriterSeq { get; init; }

    public required DateTimeOffset At { get; init; }
    public required string Kind { get; init; }
    public required string Issuer { get; init; }
    public required string Subject { get; init; }
    public string? TokenId { get; init; }
    public IReadOnlyList<string> Groups { get; init; } = [];
    public required string SessionId { get; init; }
    public required long SessionSeq { get; init; }
    public required string EdgeNode { get; init; }
    public required string ClientAddress { get; init; }
    public required string Target { get; init; }
    public required string Protocol { get; init; }
    public string? Fingerprint { get; init; }
    public string? Statement { get; init; }
    public string? StatementKinds { get; init; }
    public IReadOnlyList<string> RelationsRead { get; init; } = [];
    public IReadOnlyList<string> RelationsWritten { get; init; } = [];
    public string? Decision { get; init; }
    public string? Rule { get; init; }
    public string? Reason { get; init; }
    public long? PolicyVersion { get; init; }
    public string? ApprovalId { get; init; }
    public string? Approver { get; init; }
    public IReadOnlyList<string> MaskedColumns { get; init; } = [];
    public long? Rows { get; init; }
    public long? DurationMicroseconds { get; init; }
    public string? Outcome { get; init; }

    /// <summary>Completion records only: the <see cref="SessionSeq"/> of the statement record this one completes.</summary>
    public long? CompletesSeq { get; init; }
    public required string PrevHash { get; init; }
    public required string Hash { get; init; }

    /// <summary>Builds the row for <paramref name="record"/> as record number <paramref name="sessionSeq"/> of its chain, linked to <paramref name="prevHash"/>.</summary>
    public static AuditRow Create(AuditRecord record, string chainId, long sessionSeq, string prevHash)
    {
        ArgumentNullException.ThrowIfNull(record);
        var session = record.Session;
        var row = new AuditRow
        {
            At = TruncateToMicroseconds(record.At),
            Kind = record.Kind.ToString(),
            Issuer = Clean(session.Agent.Issuer),
            Subject = Clean(session.Agent.Subject),
            TokenId = CleanOrNull(session.TokenId),
            Groups = CleanAll(session.Agent.Groups),
            SessionId = Clean(chainId),
            SessionSeq = sessionSeq,
            EdgeNode = Clean(session.EdgeNode),
            ClientAddress = Clean(session.ClientAddress),
            Target = Clean(session.Target),
            Protocol = Clean(session.Protocol),
            Fingerprint = CleanOrNull(record.StatementFingerprint),
            Statement = CleanOrNull(record.NormalizedStatement),
            StatementKinds = CleanOrNull(record.StatementKinds),
            RelationsRead = CleanAll(record.RelationsRead),
            RelationsWritten = CleanAll(record.RelationsWritten),
            Decision = record.Decision?.Effect.ToString(),
            Rule = CleanOrNull(record.Decision?.Rule),
            Reason = CleanOrNull(record.Detail ?? record.Decision?.Reason),
            PolicyVersion = record.PolicyVersion ?? record.Decision?.PolicyVersion,
            ApprovalId = CleanOrNull(record.ApprovalId),
            Approver = CleanOrNull(record.Approver),
            MaskedColumns = CleanAll(record.MaskedColumns),
            Rows = record.Rows,
            DurationMicroseconds = record.DurationMicroseconds,
            Outcome = CleanOrNull(record.Outcome),
            CompletesSeq = record.CompletesSessionSeq,
            PrevHash = prevHash,
            Hash = "",
        };
        return row with { Hash = AuditHash.Compute(row) };
    }

    /// <summary>timestamptz keeps microseconds: the hash is taken over what the database will give back.</summary>
    private static DateTimeOffset TruncateToMicroseconds(DateTimeOffset at)
    {
        var ticks = at.UtcTicks;
        return new DateTimeOffset(ticks - (ticks % 10), TimeSpan.Zero);
    }

    // PostgreSQL text cannot hold U+0000; a token claim could. Replaced before hashing, so what is hashed is what is stored.
    private static string Clean(string value) => value.Contains('\0', StringComparison.Ordinal) ? value.Replace('\0', '\uFFFD') : value;

    private static string? CleanOrNull(string? value) => value is null ? null : Clean(value);

    private static string[] CleanAll(IReadOnlyList<string>? values) => values is null ? [] : [.. values.Select(Clean)];
}
