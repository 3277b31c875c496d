using System.Text;
using System.Text.Json;

namespace OrleansGate.Kubernetes.Masking;

/// <summary>One step of a <see cref="MaskPath"/>.</summary>
internal readonly struct MaskPathSegment
{
    private readonly byte[]? _key;

    private MaskPathSegment(MaskPathSegmentKind kind, byte[]? key) => (Kind, _key) = (kind, key);

    public static MaskPathSegment AnyKey { get; } = new(MaskPathSegmentKind.AnyKey, null);

    public static MaskPathSegment AnyElement { get; } = new(MaskPathSegmentKind.AnyElement, null);

    public MaskPathSegmentKind Kind { get; }

    public static MaskPathSegment Key(string key) => new(MaskPathSegmentKind.Key, Encoding.UTF8.GetBytes(key));

    public bool IsKey(ReadOnlySpan<byte> utf8Key) => Kind == MaskPathSegmentKind.Key && utf8Key.SequenceEqual(_key);

    /// <summary>Whether this step takes the property the reader is on; compares the unescaped name.</summary>
    public bool MatchesProperty(ref Utf8JsonReader reader) => Kind switch
    {
        MaskPathSegmentKind.AnyKey => true,
        MaskPathSegmentKind.Key => reader.ValueTextEquals(_key),
        _ => false,
    };
}
