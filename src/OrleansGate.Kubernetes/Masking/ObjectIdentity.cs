namespace OrleansGate.Kubernetes.Masking;

/// <summary>An object's <c>apiVersion</c> and <c>kind</c> as far as they are known; either may be null (unknown).</summary>
internal readonly record struct ObjectIdentity(string? ApiVersion, string? Kind)
{
    /// <summary>The API group: "" for the core group (<c>v1</c>), null when the apiVersion is unknown.</summary>
    public string? Group => ApiVersion is null ? null
        : ApiVersion.IndexOf('/', StringComparison.Ordinal) is var slash and >= 0 ? ApiVersion[..slash] : "";

    /// <summary>A list kind, by the API's naming convention (<c>SecretList</c>, and the mixed <c>List</c>).</summary>
    public bool IsList => Kind is not null && Kind.EndsWith("List", StringComparison.Ordinal);

    /// <summary>What a list item without its own kind is: the real API server leaves kind out of typed list items.</summary>
    public ObjectIdentity ItemIdentity => IsList && Kind!.Length > "List".Length ? new(ApiVersion, Kind[..^"List".Length]) : default;
}
