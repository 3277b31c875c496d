namespace OrleansGate.Model;

/// <summary>
/// What a statement does, as the edge's parser (libpg_query) understood it. The raw text never leaves
/// the edge: grains and the audit log see only this, with literals normalised out. <see cref="GuardRefusal"/>
/// is set when the gateway refuses the statement whatever the policy says (it would change how the target reads text).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record StatementSummary(
    [property: Id(0)] bool Parsed,
    [property: Id(1)] string? ParseError,
    [property: Id(2)] string Kinds,
    [property: Id(3)] IReadOnlyList<string> RelationsRead,
    [property: Id(4)] IReadOnlyList<string> RelationsWritten,
    [property: Id(5)] IReadOnlyList<string> Functions,
    [property: Id(6)] IReadOnlyList<string> DangerousFunctionGroups,
    [property: Id(7)] bool HasUnboundedWrite,
    [property: Id(8)] string Fingerprint,
    [property: Id(9)] string NormalizedSql,
    [property: Id(10)] IReadOnlyList<string> RelationsLocked,
    [property: Id(11)] string? GuardRefusal = null);
