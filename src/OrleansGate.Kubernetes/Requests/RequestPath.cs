using System.Diagnostics.CodeAnalysis;
using System.Text;
using static OrleansGate.Kubernetes.Requests.RefusalText;

namespace OrleansGate.Kubernetes.Requests;

/// <summary>
/// A request path checked and percent-decoded once, segment by segment. Anything a router, proxy or second decoder
/// could read as another path is refused, so the segments are the only reading (the rule: a path that could map to
/// two different resources is denied).
/// </summary>
internal sealed class RequestPath
{
    /// <summary>Far above the eight of the deepest Kubernetes resource path; proxied sub-paths share the cap.</summary>
    public const int MaxSegments = 64;

    private const string EmptySegment =
        "empty path segment (\"//\") is refused: routers that merge slashes would read another path";

    private RequestPath(string raw, string decoded, string[] segments) => (Raw, Decoded, Segments) = (raw, decoded, segments);

    /// <summary>The path as received, still percent-encoded: what is forwarded, so an escaped character stays escaped.</summary>
    public string Raw { get; }

    /// <summary>"/" followed by the decoded segments; a trailing slash is kept, as the API server keeps it.</summary>
    public string Decoded { get; }

    /// <summary>The decoded segments, none empty; a trailing slash adds none (the API server trims it).</summary>
    public string[] Segments { get; }

    public static bool TryDecode(ReadOnlySpan<char> raw, [NotNullWhen(true)] out RequestPath? path, [NotNullWhen(false)] out string? refusal)
    {
        path = null;
        if (raw.IsEmpty || raw[0] != '/')
        {
            // Absolute form ("http://host/...") and "*" would let the host part and the path disagree with the proxy's.
            refusal = $"the request target {Quote(raw)} is refused: only a path starting with \"/\" is accepted";
            return false;
        }

        var rest = raw[1..];
        var trailingSlash = !rest.IsEmpty && rest[^1] == '/';
        if (raw.Count('/') - (trailingSlash ? 1 : 0) > MaxSegments)
        {
            // Counted before anything is allocated.
            refusal = $"the path has more than {MaxSegments} segments";
            return false;
        }

        if (trailingSlash)
        {
            rest = rest[..^1];
            if (rest.IsEmpty)
            {
                refusal = EmptySegment;
                return false;
            }
        }

        // "/" alone has no segments; otherwise every segment between slashes must be non-empty.
        var segments = new List<string>();
        foreach (var range in rest.Split('/'))
        {
            if (rest.IsEmpty)
            {
                break;
            }

            if (rest[range].IsEmpty)
            {
                refusal = EmptySegment;
                return false;
            }

            if (!TryDecodeSegment(rest[range], out var segment, out refusal))
            {
                return false;
            }

            segments.Add(segment);
        }

        var decoded = "/" + string.Join('/', segments) + (trailingSlash ? "/" : "");
        path = new RequestPath(raw.ToString(), decoded, [.. segments]);
        refusal = null;
        return true;
    }

    private static bool TryDecodeSegment(ReadOnlySpan<char> raw, [NotNullWhen(true)] out string? segment, [NotNullWhen(false)] out string? refusal)
    {
        segment = null;
        var decoded = new StringBuilder(raw.Length);
        for (var i = 0; i < raw.Length; i++)
        {
            var c = raw[i];
            if (c == '%')
            {
                if (!UriCharacters.TryReadEscape(raw, i, out var value))
                {
                    refusal = $"path segment {Quote(raw)} has a malformed percent-encoding: \"%\" must be followed by two hex digits";
                    return false;
                }

                refusal = RefuseDecoded(raw, value);
                if (refusal is not null)
                {
                    return false;
                }

                decoded.Append((char)value);
                i += 2;
                continue;
            }

            refusal = RefuseRaw(raw, c);
            if (refusal is not null)
            {
                return false;
            }

            decoded.Append(c);
        }

        segment = decoded.ToString();

        // Servlet containers (Tomcat, Jetty, Spring) drop ";parameters" from a segment before they resolve dot
        // segments: "..;x" is ".." to them, ";x" an empty segment. What is left before the first ";" is what counts.
        var semicolon = segment.IndexOf(';', StringComparison.Ordinal);
        var head = semicolon < 0 ? segment.AsSpan() : segment.AsSpan(0, semicolon);
        if (head.ContainsAnyExcept('.'))
        {
            refusal = null;
            return true;
        }

        // "." and ".." are removed or resolved by URL normalisation; "..." is refused too, as no Kubernetes name is
        // only dots and some servers trim trailing dots.
        var shown = raw.SequenceEqual(segment) ? Quote(raw) : $"{Quote(raw)} decodes to {Quote(segment)}:";
        var colon = shown.EndsWith(':') ? "" : ":";
        refusal = semicolon < 0
            ? $"path segment {shown}{colon} dot segments are refused (they could name another resource)"
            : $"path segment {shown}{colon} without its \";\" parameters it is {(head.IsEmpty ? "empty" : "a dot segment")}, as servers that drop them read it: refused (it could name another resource)";
        segment = null;
        return false;
    }

    private static string? RefuseDecoded(ReadOnlySpan<char> raw, byte value) => value switch
    {
        (byte)'/' => $"path segment {Quote(raw)} has an encoded \"/\" (%2F): refused, a router that decodes first would see two segments",
        (byte)'%' => $"path segment {Quote(raw)} has an encoded \"%\" (%25): double-encoded paths are refused (a second decoding would read another path)",
        (byte)'\\' => $"path segment {Quote(raw)} has an encoded backslash (%5C): refused, some servers read it as \"/\"",
        _ when UriCharacters.IsControl(value) => $"path segment {Quote(raw)} has an encoded control character ({Escape(value)}): refused",
        >= 0x80 => $"path segment {Quote(raw)} has an encoded non-ASCII byte ({Escape(value)}): refused, decoders disagree on what it names",
        _ when !UriCharacters.IsSegmentCharacter((char)value) =>
            $"path segment {Quote(raw)} has {Escape(value)}, which decodes to {Quote((char)value)}: refused, that character cannot stand unencoded in a path",
        _ => null,
    };

    private static string? RefuseRaw(ReadOnlySpan<char> raw, char c) => c switch
    {
        '\\' => $"path segment {Quote(raw)} has a backslash: refused, some servers read it as \"/\"",
        '#' => $"path segment {Quote(raw)} has a \"#\": a fragment is never sent in a request, refused",
        _ when UriCharacters.IsControl(c) => $"path segment {Quote(raw)} has a control character: refused",
        >= (char)0x80 => $"path segment {Quote(raw)} has a non-ASCII character: refused, it must be percent-encoded and Kubernetes names are ASCII",
        _ when !UriCharacters.IsSegmentCharacter(c) => $"path segment {Quote(raw)} has {Quote(c)}, which must be percent-encoded: refused",
        _ => null,
    };
}
