namespace OrleansGate.Model;

/// <summary>How a statement reached the gateway.</summary>
public enum StatementSource
{
    /// <summary>A simple-protocol <c>Query</c> message (may hold several statements).</summary>
    SimpleQuery = 0,

    /// <summary>An extended-protocol <c>Parse</c> message.</summary>
    Parse = 1,
}

/// <summary>"This session wants to run this SQL": meaning, never wire bytes.</summary>
[GenerateSerializer, Immutable]
public sealed record StatementRequest(
    [property: Id(0)] string Sql,
    [property: Id(1)] StatementSource Source,
    [property: Id(2)] string? StatementName);
