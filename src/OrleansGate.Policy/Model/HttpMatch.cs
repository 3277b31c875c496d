namespace OrleansGate.Policy.Model;

/// <summary>A rule's <c>http:</c> match. Empty lists mean any.</summary>
public sealed record HttpMatch
{
    /// <summary>Upper-case HTTP methods (GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS) or <c>*</c>.</summary>
    public IReadOnlyList<string> Methods { get; init; } = [];

    /// <summary>Path globs (<c>*</c> runs across <c>/</c>), compared with the path without its query.</summary>
    public IReadOnlyList<string> Paths { get; init; } = [];
}
