using OrleansGate.Model;

namespace OrleansGate.Audit;

/// <summary>
/// One audit row exactly as stored: the writer inserts it, <c>audit verify</c> reads it back and recomputes
/// <see cref="Hash"/> from the same fields, so every value here must survive a PostgreSQL round trip unchanged
/// (times are cut to microseconds, NUL characters, which <c>text</c> cannot hold, are replaced).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record AuditRow
{
    /// <summary>Genesis link: the "previous hash" of a chain's first record.</summary>
    public static readonly string GenesisHash = new('0', 64);

    /// <summary>Global sequence, assigned by the database (0 until read back).</summary>
    [Id(0)] public long Seq { get; init; }

    /// <summary>The writer that inserted the row; its signatures cover its rows.</summary>
    [Id(1)] public string Writer { get; init; } = "";

    /// <summary>The row's number in its writer's own gap-free sequence (0 until read back).</summary>
    [Id(2)] public long WriterSeq { get; init; }

    [Id(3)] public required DateTimeOffset At { get; init; }
    [Id(4)] public required string Kind { get; init; }
    [Id(5)] public required string Issuer { get; init; }
    [Id(6)] public required string Subject { get; init; }
    [Id(7)] public string? TokenId { get; init; }
    [Id(8)] public IReadOnlyList<string> Groups { get; init; } = [];
    [Id(9)] public required string SessionId { get; init; }
    [Id(10)] public required long SessionSeq { get; init; }
    [Id(11)] public required string EdgeNode { get; init; }
    [Id(12)] public required string ClientAddress { get; init; }
    [Id(13)] public required string Target { get; init; }
    [Id(14)] public required string Protocol { get; init; }
    [Id(15)] public string? Fingerprint { get; init; }
    [Id(16)] public string? Statement { get; init; }
    [Id(17)] public string? StatementKinds { get; init; }
    [Id(18)] public IReadOnlyList<string> RelationsRead { get; init; } = [];
    [Id(19)] public IReadOnlyList<string> RelationsWritten { get; init; } = [];
    [Id(20)] public string? Decision { get; init; }
    [Id(21)] public string? Rule { get; init; }
    [Id(22)] public string? Reason { get; init; }
    [Id(23)] public long? PolicyVersion { get; init; }
    [Id(24)] public string? ApprovalId { get; init; }
    [Id(25)] public string? Approver { get; init; }
    [Id(26)] public IReadOnlyList<string> MaskedColumns { get; init; } = [];
    [Id(27)] public long? Rows { get; init; }
    [Id(28)] public long? DurationMicroseconds { get; init; }
    [Id(29)] public string? Outcome { get; init; }

    /// <summary>Completion records only: the <see cref="SessionSeq"/> of the statement record this one completes.</summary>
    [Id(30)] public long? CompletesSeq { get; init; }
    [Id(31)] public required string PrevHash { get; init; }
    [Id(32)] public required string Hash { get; init; }

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
