using System.Text.Json.Nodes;

namespace OrleansGate.KubernetesApiStandIn.Store;

/// <summary>
/// A <c>labelSelector</c> or <c>fieldSelector</c> query parameter as a predicate over stored objects.
/// Labels take <c>k=v</c>, <c>k==v</c>, <c>k!=v</c>, <c>k in (a,b)</c>, <c>k notin (a,b)</c>, <c>k</c>, <c>!k</c>;
/// fields take <c>=</c>, <c>==</c>, <c>!=</c> on any dotted path (<c>metadata.name</c>, <c>status.phase</c>),
/// which is more than the real server allows per resource and enough for what clients send.
/// </summary>
internal sealed class Selector
{
    private readonly List<Func<JsonObject, bool>> _requirements = [];

    public static Selector Everything { get; } = new();

    public bool Matches(JsonObject obj) => _requirements.TrueForAll(r => r(obj));

    public Selector And(Selector other)
    {
        var both = new Selector();
        both._requirements.AddRange(_requirements);
        both._requirements.AddRange(other._requirements);
        return both;
    }

    public static Selector ParseLabels(string? text)
    {
        var selector = new Selector();
        foreach (var part in SplitTopLevel(text))
        {
            selector._requirements.Add(ParseLabelRequirement(part));
        }

        return selector;
    }

    public static Selector ParseFields(string? text)
    {
        var selector = new Selector();
        foreach (var part in SplitTopLevel(text))
        {
            var (path, negate, value) = SplitComparison(part)
                ?? throw new ApiStatusException(ApiStatus.BadRequest($"invalid field selector: \"{part}\""));
            selector._requirements.Add(obj => (FieldValue(obj, path) == value) != negate);
        }

        return selector;
    }

    private static Func<JsonObject, bool> ParseLabelRequirement(string part)
    {
        if (part.StartsWith('!'))
        {
            var key = part[1..].Trim();
            return obj => Label(obj, key) is null;
        }

        foreach (var (op, negate) in new[] { (" notin ", true), (" in ", false) })
        {
            var at = part.IndexOf(op, StringComparison.Ordinal);
            if (at > 0)
            {
                var key = part[..at].Trim();
                var values = part[(at + op.Length)..].Trim().TrimStart('(').TrimEnd(')')
                    .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                return obj => Label(obj, key) is { } v ? values.Contains(v) != negate : negate;
            }
        }

        if (SplitComparison(part) is var (labelKey, notEqual, expected))
        {
            return obj => (Label(obj, labelKey) == expected) != notEqual;
        }

        var exists = part.Trim();
        return obj => Label(obj, exists) is not null;
    }

    private static (string Key, bool Negate, string Value)? SplitComparison(string part)
    {
        foreach (var (op, negate) in new[] { ("!=", true), ("==", false), ("=", false) })
        {
            var at = part.IndexOf(op, StringComparison.Ordinal);
            if (at > 0)
            {
                return (part[..at].Trim(), negate, part[(at + op.Length)..].Trim());
            }
        }

        return null;
    }

    /// <summary>Splits on commas outside parentheses, so <c>a in (x,y),b=c</c> gives two requirements.</summary>
    private static IEnumerable<string> SplitTopLevel(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            yield break;
        }

        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '(':
                    depth++;
                    break;
                case ')':
                    depth--;
                    break;
                case ',' when depth == 0:
                    yield return text[start..i];
                    start = i + 1;
                    break;
            }
        }

        yield return text[start..];
    }

    private static string? Label(JsonObject obj, string key) =>
        obj["metadata"]?["labels"]?[key]?.GetValue<string>();

    private static string? FieldValue(JsonObject obj, string path)
    {
        JsonNode? node = obj;
        foreach (var step in path.Split('.'))
        {
            node = node is JsonObject o ? o[step] : null;
        }

        return node is JsonValue value ? value.ToString() : null;
    }
}
