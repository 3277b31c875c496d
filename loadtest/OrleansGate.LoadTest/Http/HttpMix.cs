using System.Text.Json;

namespace OrleansGate.LoadTest.Http;

/// <summary>One kind of request of a mix, as <c>loadtest/k6/http-mix.json</c> writes it.</summary>
public sealed record HttpMixEntry
{
    public required string Name { get; init; }

    public required int Weight { get; init; }

    public required string Method { get; init; }

    /// <summary>The path (and query) after the target's base URL, with <c>{placeholders}</c>.</summary>
    public required string Path { get; init; }

    /// <summary>A body template (JSON text with placeholders), or null.</summary>
    public string? Body { get; init; }

    public string? ContentType { get; init; }
}

/// <summary>The mixes of <c>http-mix.json</c>, each a weighted list; the same request sequence for every target.</summary>
public static class HttpMix
{
    public static IReadOnlyDictionary<string, IReadOnlyList<HttpMixEntry>> Read(string path)
    {
        var mixes = JsonSerializer.Deserialize<Dictionary<string, List<HttpMixEntry>>>(File.ReadAllText(path), new JsonSerializerOptions(JsonSerializerDefaults.Web))
            ?? throw new InvalidOperationException($"{path} holds no mixes");
        foreach (var (name, entries) in mixes)
        {
            if (entries.Count == 0 || entries.Any(e => e.Weight <= 0))
            {
                throw new InvalidOperationException($"mix '{name}' of {path} is empty or has a weight that is not positive");
            }
        }

        return mixes.ToDictionary(m => m.Key, m => (IReadOnlyList<HttpMixEntry>)m.Value);
    }

    /// <summary>The entry of <paramref name="mix"/> for a roll in [0, total weight).</summary>
    public static HttpMixEntry Pick(IReadOnlyList<HttpMixEntry> mix, int roll)
    {
        foreach (var entry in mix)
        {
            if (roll < entry.Weight)
            {
                return entry;
            }

            roll -= entry.Weight;
        }

        throw new ArgumentOutOfRangeException(nameof(roll), "the roll is over the mix's total weight");
    }

    public static int TotalWeight(IReadOnlyList<HttpMixEntry> mix) => mix.Sum(e => e.Weight);

    /// <summary>Replaces <c>{key}</c> with its value; <c>{name}</c> with <paramref name="name"/>. An unknown placeholder is an error.</summary>
    public static string Fill(string template, IReadOnlyDictionary<string, string> values, string name)
    {
        var text = new System.Text.StringBuilder(template.Length + 16);
        var i = 0;
        while (i < template.Length)
        {
            var open = template.IndexOf('{', i);
            var close = open < 0 ? -1 : template.IndexOf('}', open);
            var key = close < 0 ? null : template[(open + 1)..close];
            if (key is null || !key.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                // JSON braces of a body, not a placeholder.
                var stop = open < 0 ? template.Length : open + 1;
                text.Append(template, i, stop - i);
                i = stop;
                continue;
            }

            text.Append(template, i, open - i);
            text.Append(key == "name" ? name : values.TryGetValue(key, out var value) ? value : throw new InvalidOperationException($"no value for placeholder {{{key}}}"));
            i = close + 1;
        }

        return text.ToString();
    }
}
