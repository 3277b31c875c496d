namespace OrleansGate.Kubernetes.Masking;

/// <summary>
/// Which objects a mask path applies to: <c>Kind</c> (any API group) or <c>group/Kind</c>; <c>core/Kind</c> names the
/// core group (<c>apiVersion: v1</c>). Kinds are case-sensitive, as in the API.
/// </summary>
internal readonly record struct KindSelector(string? Group, string Kind)
{
    public static KindSelector Secret { get; } = new(null, "Secret");

    public static KindSelector Parse(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var group = slash < 0 ? null : text[..slash];
        var kind = slash < 0 ? text : text[(slash + 1)..];
        if (kind.Length == 0 || group is "" || kind.Contains('/', StringComparison.Ordinal) || text.Any(char.IsWhiteSpace))
        {
            throw new ArgumentException($"kind \"{text}\" is neither \"Kind\" nor \"group/Kind\"", nameof(text));
        }

        return new(group == "core" ? "" : group, kind);
    }

    /// <summary>
    /// An object whose group is unknown (a list item without apiVersion under a list without one) matches every group:
    /// masking too much is the safe side.
    /// </summary>
    public bool Matches(ObjectIdentity identity) =>
        identity.Kind == Kind && (Group is null || identity.Group is null || identity.Group == Group);
}
