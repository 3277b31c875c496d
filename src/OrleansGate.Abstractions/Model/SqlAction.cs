namespace OrleansGate.Model;

/// <summary>
/// What a SQL text does, as the edge's parser (libpg_query) understood it: the action of a PostgreSQL request, in the
/// form the policy evaluator reads, built once per distinct text and shared. The raw text never leaves the edge: this
/// holds only what it does and its normalised form (literals replaced), safe for the audit log.
/// </summary>
/// <param name="Parsed">False when the text is not valid PostgreSQL: such text is refused, never guessed.</param>
/// <param name="ParseError">The parser's message (it may quote a token of the text: treat it like statement text).</param>
/// <param name="Kinds">Every kind any of its statements has (<see cref="StatementKind"/>).</param>
/// <param name="GuardRefusal">Why the gateway refuses it whatever the policy says (it would change how the target reads text).</param>
/// <param name="Fingerprint">libpg_query's fingerprint of the normalised text (16 hex digits; empty when not parsed).</param>
/// <param name="NormalizedSql">The text with literals replaced by <c>$n</c> (empty when not parsed).</param>
[GenerateSerializer, Immutable]
public sealed record SqlAction(
    [property: Id(0)] bool Parsed,
    [property: Id(1)] string? ParseError,
    [property: Id(2)] StatementKind Kinds,
    [property: Id(3)] string[] RelationsRead,
    [property: Id(4)] string[] RelationsWritten,
    [property: Id(5)] string[] RelationsLocked,
    [property: Id(6)] string[] Functions,
    [property: Id(7)] string[] DangerousFunctionGroups,
    [property: Id(8)] bool HasUnboundedWrite,
    [property: Id(9)] string? GuardRefusal,
    [property: Id(10)] string Fingerprint,
    [property: Id(11)] string NormalizedSql)
{
    /// <summary>A request whose text the gateway cannot see (the legacy function-call message): refused.</summary>
    public static readonly SqlAction Opaque = new(false, "no statement text", StatementKind.Other, [], [], [], [], [], false, null, "", "");

    /// <summary><see cref="Kinds"/> as the audit log stores it (e.g. <c>Read</c>, <c>Read, Write</c>).</summary>
    [Id(12)] public string KindsText { get; init; } = Kinds.ToString();

    /// <summary>Parsed, only reads, and no dangerous function: what a read-only rule may allow, and what may run before its record is durable.</summary>
    public bool IsPureRead => Parsed && (Kinds & ~StatementKind.Read) == StatementKind.None && DangerousFunctionGroups.Length == 0;
}
