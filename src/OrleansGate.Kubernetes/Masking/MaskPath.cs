using System.Collections.Immutable;
using System.Text;

namespace OrleansGate.Kubernetes.Masking;

/// <summary>
/// A JSON path whose values are masked in objects of one kind. Syntax: keys separated by <c>.</c>; <c>*</c> as a whole
/// key matches any one key; <c>[*]</c> after a key matches every element of the array there (repeatable:
/// <c>a[*][*]</c>); <c>\</c> escapes <c>. [ ] * \</c> inside a key (<c>data.app\.properties</c>).
/// Examples: <c>data.password</c>, <c>data.*</c>, <c>spec.containers[*].env[*].value</c>.
/// </summary>
internal sealed class MaskPath
{
    private MaskPath(KindSelector kind, string text, ImmutableArray<MaskPathSegment> segments, ReadOnlyMemory<byte> placeholder) =>
        (Kind, Text, Segments, Placeholder) = (kind, text, segments, placeholder);

    public KindSelector Kind { get; }

    public string Text { get; }

    public ImmutableArray<MaskPathSegment> Segments { get; }

    /// <summary>The JSON token written in place of a value at this path.</summary>
    public ReadOnlyMemory<byte> Placeholder { get; }

    public static MaskPath Parse(KindSelector kind, string text)
    {
        ArgumentException.ThrowIfNullOrEmpty(text);
        var segments = ImmutableArray.CreateBuilder<MaskPathSegment>();
        var position = 0;
        while (true)
        {
            segments.Add(ReadKey(text, ref position));
            while (text.AsSpan(position).StartsWith("[*]", StringComparison.Ordinal))
            {
                segments.Add(MaskPathSegment.AnyElement);
                position += 3;
            }

            if (position == text.Length)
            {
                break;
            }

            if (text[position] != '.' || position == text.Length - 1)
            {
                throw Invalid(text, position, "expected \".\" between keys, or \"[*]\" (no other index is supported)");
            }

            position++;
        }

        // Secret data values are base64; a base64 placeholder keeps clients that decode them working.
        var base64 = kind.Kind == "Secret" && segments[0].IsKey("data"u8);
        return new(kind, text, segments.ToImmutable(), base64 ? MaskPlaceholder.Base64Json : MaskPlaceholder.TextJson);
    }

    private static MaskPathSegment ReadKey(string text, ref int position)
    {
        if (position < text.Length && text[position] == '*' && (position + 1 == text.Length || text[position + 1] is '.' or '['))
        {
            position++;
            return MaskPathSegment.AnyKey;
        }

        var key = new StringBuilder();
        for (; position < text.Length && text[position] is not ('.' or '['); position++)
        {
            var c = text[position];
            if (c == '\\')
            {
                if (++position == text.Length)
                {
                    throw Invalid(text, position, "\"\\\" at the end escapes nothing");
                }

                c = text[position];
            }
            else if (c is '*' or ']')
            {
                throw Invalid(text, position, $"\"{c}\" inside a key must be escaped as \"\\{c}\"");
            }

            key.Append(c);
        }

        return key.Length > 0 ? MaskPathSegment.Key(key.ToString()) : throw Invalid(text, position, "empty key");
    }

    private static ArgumentException Invalid(string text, int position, string reason) =>
        new($"mask path \"{text}\" at character {position}: {reason}", nameof(text));
}
