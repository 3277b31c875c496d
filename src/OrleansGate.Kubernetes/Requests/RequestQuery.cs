using System.Diagnostics.CodeAnalysis;
using System.Text;
using static OrleansGate.Kubernetes.Requests.RefusalText;

namespace OrleansGate.Kubernetes.Requests;

/// <summary>
/// The query parameters that change a request's attributes (<c>watch</c> and <c>fieldSelector</c>), read as Go's
/// <c>url.ParseQuery</c> reads them ("&amp;"-separated, "+" is a space, one percent-decoding), after refusing every
/// query two parsers could read differently.
/// </summary>
internal sealed class RequestQuery
{
    public static readonly RequestQuery Empty = new(null, null);

    private RequestQuery(bool? watch, string? fieldSelector) => (Watch, FieldSelector) = (watch, fieldSelector);

    /// <summary>Null when the query has no <c>watch</c>.</summary>
    public bool? Watch { get; }

    /// <summary>The decoded value, null when the query has no <c>fieldSelector</c>.</summary>
    public string? FieldSelector { get; }

    public static bool TryParse(ReadOnlySpan<char> raw, [NotNullWhen(true)] out RequestQuery? query, [NotNullWhen(false)] out string? refusal)
    {
        query = null;
        bool? watch = null;
        string? fieldSelector = null;
        foreach (var range in raw.Split('&'))
        {
            var pair = raw[range];
            if (pair.IsEmpty)
            {
                continue;
            }

            var equals = pair.IndexOf('=');
            var rawKey = equals < 0 ? pair : pair[..equals];
            var rawValue = equals < 0 ? [] : pair[(equals + 1)..];
            if (!TryDecode(rawKey, out var key, out refusal) || !TryDecode(rawValue, out var value, out refusal))
            {
                return false;
            }

            if (key == "watch")
            {
                if (!TryReadWatch(value, watch, out watch, out refusal))
                {
                    return false;
                }
            }
            else if (key == "fieldSelector")
            {
                if (fieldSelector is not null && fieldSelector != value)
                {
                    // The API server takes the first; a proxy or client library may take the last.
                    refusal = $"query parameter fieldSelector is repeated with different values ({Quote(fieldSelector)} and {Quote(value)}): refused";
                    return false;
                }

                fieldSelector = value;
            }
            else if (key.Equals("watch", StringComparison.OrdinalIgnoreCase) || key.Equals("fieldSelector", StringComparison.OrdinalIgnoreCase))
            {
                refusal = $"query parameter {Quote(key)} differs only in case from one the API server reads: refused";
                return false;
            }
        }

        query = watch is null && fieldSelector is null ? Empty : new RequestQuery(watch, fieldSelector);
        refusal = null;
        return true;
    }

    private static bool TryReadWatch(string value, bool? earlier, out bool? watch, [NotNullWhen(false)] out string? refusal)
    {
        // The API server reads "0" and "false" (any case) as false and any other value, even "" or "no", as true;
        // only the four unmistakable spellings are accepted.
        bool? parsed = value switch
        {
            "1" => true,
            "0" => false,
            _ when value.Equals("true", StringComparison.OrdinalIgnoreCase) => true,
            _ when value.Equals("false", StringComparison.OrdinalIgnoreCase) => false,
            _ => null,
        };

        watch = earlier;
        if (parsed is null)
        {
            refusal = $"query parameter watch={Quote(value)} is refused: only true, false, 1 and 0 are accepted";
            return false;
        }

        if (earlier is not null && earlier != parsed)
        {
            refusal = "query parameter watch is repeated with conflicting values: refused";
            return false;
        }

        watch = parsed;
        refusal = null;
        return true;
    }

    private static bool TryDecode(ReadOnlySpan<char> raw, [NotNullWhen(true)] out string? decoded, [NotNullWhen(false)] out string? refusal)
    {
        decoded = null;
        var builder = new StringBuilder(raw.Length);
        for (var i = 0; i < raw.Length; i++)
        {
            var c = raw[i];
            int value = c;
            if (c == '%')
            {
                if (!UriCharacters.TryReadEscape(raw, i, out var escaped))
                {
                    // Go drops such a parameter and keeps the rest: a repeated one would then win unseen.
                    refusal = $"query text {Quote(raw)} has a malformed percent-encoding: \"%\" must be followed by two hex digits";
                    return false;
                }

                value = escaped;
                i += 2;
            }
            else if (c == ';')
            {
                refusal = "the query has a \";\": refused, older parsers split parameters at it and Go drops the parameter";
                return false;
            }
            else if (c == '#')
            {
                refusal = "the query has a \"#\": a fragment is never sent in a request, refused";
                return false;
            }
            else if (c < 0x80 && !UriCharacters.IsControl(c) && !UriCharacters.IsQueryCharacter(c))
            {
                refusal = $"the query has {Quote(c)}, which must be percent-encoded: refused";
                return false;
            }
            else if (c == '+')
            {
                value = ' ';
            }

            if (UriCharacters.IsControl(value) || value >= 0x80)
            {
                refusal = $"query text {Quote(raw)} has a control or non-ASCII character: refused";
                return false;
            }

            builder.Append((char)value);
        }

        decoded = builder.ToString();
        refusal = null;
        return true;
    }
}
