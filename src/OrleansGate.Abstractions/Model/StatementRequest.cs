namespace OrleansGate.Model;

/// <summary>How a statement reached the gateway.</summary>
public enum StatementSource
{
    /// <summary>A simple-protocol <c>Query</c> message (may hold several statements).</summary>
    SimpleQuery = 0,

    /// <summary>An extended-protocol <c>Parse</c> message.</summary>
    Parse = 1,

    /// <summary>The legacy function-call message, which names a function by OID only.</summary>
    FunctionCall = 2,
}

/// <summary>"This session wants to run a statement that does this": meaning, never wire bytes or raw SQL.</summary>
[GenerateSerializer, Immutable]
public sealed record StatementRequest(
    [property: Id(0)] StatementSource Source,
    [property: Id(1)] string? StatementName,
    [property: Id(2)] StatementSummary Statement)
{
    /// <summary>Completions of this session's earlier statements, carried along so they cost no call of their own.</summary>
    [Id(3)] public IReadOnlyList<StatementCompletion> Completions { get; init; } = [];
}
