using System.Globalization;
using System.Text.Json.Nodes;

namespace OrleansGate.KubernetesApiStandIn.Patching;

/// <summary>RFC 6902 JSON patch (<c>application/json-patch+json</c>): add, remove, replace, move, copy, test,
/// addressed by RFC 6901 JSON pointers. A failed operation is a <see cref="PatchException"/>.</summary>
internal static class JsonPatch
{
    public static JsonNode Apply(JsonNode target, JsonArray operations)
    {
        var document = target.DeepClone();
        foreach (var operation in operations)
        {
            if (operation is not JsonObject op)
            {
                throw new PatchException("a JSON patch is an array of operation objects");
            }

            var path = op["path"]?.GetValue<string>() ?? throw new PatchException("operation without \"path\"");
            switch (op["op"]?.GetValue<string>())
            {
                case "add":
                    document = Add(document, path, op["value"]?.DeepClone());
                    break;
                case "remove":
                    Remove(document, path);
                    break;
                case "replace":
                    if (path.Length > 0)
                    {
                        Remove(document, path);
                    }

                    document = Add(document, path, op["value"]?.DeepClone());
                    break;
                case "move":
                    var moved = Find(document, From(op));
                    Remove(document, From(op));
                    document = Add(document, path, moved?.DeepClone());
                    break;
                case "copy":
                    document = Add(document, path, Find(document, From(op))?.DeepClone());
                    break;
                case "test":
                    if (!JsonNode.DeepEquals(Find(document, path), op["value"]))
                    {
                        throw new PatchException($"test failed at {path}");
                    }

                    break;
                default:
                    throw new PatchException($"unknown operation \"{op["op"]}\"");
            }
        }

        return document;
    }

    private static string From(JsonObject op) =>
        op["from"]?.GetValue<string>() ?? throw new PatchException("operation without \"from\"");

    private static JsonNode Add(JsonNode document, string path, JsonNode? value)
    {
        if (path.Length == 0)
        {
            return value ?? throw new PatchException("cannot replace the whole document with null");
        }

        var (parent, last) = Parent(document, path);
        switch (parent)
        {
            case JsonObject o:
                o[last] = value;
                break;
            case JsonArray a when last == "-":
                a.Add(value);
                break;
            case JsonArray a:
                a.Insert(Index(a, last, allowEnd: true), value);
                break;
            default:
                throw new PatchException($"cannot add at {path}");
        }

        return document;
    }

    private static void Remove(JsonNode document, string path)
    {
        var (parent, last) = Parent(document, path);
        switch (parent)
        {
            case JsonObject o when o.ContainsKey(last):
                o.Remove(last);
                break;
            case JsonArray a:
                a.RemoveAt(Index(a, last, allowEnd: false));
                break;
            default:
                throw new PatchException($"nothing to remove at {path}");
        }
    }

    private static JsonNode? Find(JsonNode document, string path)
    {
        if (path.Length == 0)
        {
            return document;
        }

        var (parent, last) = Parent(document, path);
        return parent switch
        {
            JsonObject o when o.TryGetPropertyValue(last, out var found) => found,
            JsonArray a => a[Index(a, last, allowEnd: false)],
            _ => throw new PatchException($"nothing at {path}"),
        };
    }

    private static (JsonNode Parent, string Last) Parent(JsonNode document, string path)
    {
        if (!path.StartsWith('/'))
        {
            throw new PatchException($"invalid JSON pointer \"{path}\"");
        }

        var tokens = path[1..].Split('/').Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();
        var node = document;
        foreach (var token in tokens[..^1])
        {
            node = node switch
            {
                JsonObject o when o[token] is { } child => child,
                JsonArray a => a[Index(a, token, allowEnd: false)] ?? throw new PatchException($"null at {path}"),
                _ => throw new PatchException($"nothing at {path}"),
            };
        }

        return (node, tokens[^1]);
    }

    private static int Index(JsonArray array, string token, bool allowEnd)
    {
        if (!int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            || index > array.Count || (!allowEnd && index == array.Count))
        {
            throw new PatchException($"array index \"{token}\" out of range");
        }

        return index;
    }
}
