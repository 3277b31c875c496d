namespace OrleansGate.Edge.Http;

/// <summary>The argv of an exec: its <c>command=</c> query parameters, in order, as the API server reads them.</summary>
public static class ExecCommand
{
    /// <summary>
    /// Reads <paramref name="rawQuery"/> (<c>?…</c> as sent, or empty) as Go's <c>url.ParseQuery</c> does: '&amp;'-separated,
    /// '+' a space, one percent-decoding, keys compared exactly. ASP.NET's <c>Request.Query</c> would not do: it compares
    /// keys ignoring case, so <c>Command=echo&amp;command=sh</c> would be judged as <c>echo sh</c> and run as <c>sh</c>.
    /// The request parser has refused every query Go could read otherwise (bad escapes, ';', non-ASCII) before this runs.
    /// </summary>
    public static IReadOnlyList<string> Read(string? rawQuery)
    {
        var query = (rawQuery ?? "").AsSpan().TrimStart('?');
        List<string>? argv = null;
        foreach (var range in query.Split('&'))
        {
            var pair = query[range];
            var equals = pair.IndexOf('=');
            if (equals >= 0 && Decode(pair[..equals]) == "command")
            {
                (argv ??= []).Add(Decode(pair[(equals + 1)..]));
            }
            else if (equals < 0 && Decode(pair) == "command")
            {
                (argv ??= []).Add(""); // Go reads a key without '=' as the empty value
            }
        }

        return argv ?? (IReadOnlyList<string>)[];
    }

    /// <summary>The audit's <c>command: …</c> detail, with what the detectors find replaced by their markers.</summary>
    public static string AuditDetail(IReadOnlyList<string> argv, ExecDetectors? detectors)
    {
        ArgumentNullException.ThrowIfNull(argv);
        var line = string.Join(' ', argv);
        return "command: " + (detectors is null ? line : detectors.Redact(line, [], out _));
    }

    private static string Decode(ReadOnlySpan<char> raw) => Uri.UnescapeDataString(raw.ToString().Replace('+', ' '));
}
