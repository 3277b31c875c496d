using System.Buffers;
using System.Collections.Immutable;
using System.Text.Json;

namespace OrleansGate.Kubernetes.Masking;

/// <summary>
/// Finds the values to mask in one complete object held in memory: first reads its kind and apiVersion (which may come
/// after the values: unstructured objects are written with sorted keys), then walks it with that kind's paths.
/// Objects nested in it (list items, table rows' objects, a watch event's object) are masked by their own kind.
/// </summary>
internal sealed class ObjectMasker(KubernetesMaskRules rules)
{
    /// <summary>A List inside a List inside …: deeper than any real response, and each level costs stack.</summary>
    private const int MaxNesting = 16;

    /// <summary>Distinct kinds in one response; past this the paths are looked up per object instead of remembered.</summary>
    private const int MaxRememberedKinds = 64;

    public static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 256 };

    private readonly Dictionary<ObjectIdentity, ImmutableArray<MaskPath>> _pathsByIdentity = [];

    public long ObjectsSeen { get; private set; }

    public long ValuesMasked { get; private set; }

    /// <param name="json">Exactly one complete JSON object.</param>
    /// <param name="offset">Where <paramref name="json"/> starts in the bytes the replacements refer to.</param>
    /// <param name="fallback">The kind an object without its own kind has (a typed list's items); default when none.</param>
    /// <param name="kindRequired">The object must carry its own kind: its list's kind is not known yet.</param>
    public void MaskObject(
        in ReadOnlySequence<byte> json, long offset, ObjectIdentity fallback, bool kindRequired, List<Replacement> replacements, int nesting = 0)
    {
        if (nesting > MaxNesting)
        {
            throw KubernetesMaskingException.Unmaskable($"objects are nested more than {MaxNesting} deep (lists in lists)");
        }

        var own = ReadIdentity(json);
        if (own.Kind is null && kindRequired)
        {
            throw KubernetesMaskingException.Unmaskable(
                "a list item has no kind and the list's kind comes after its items: the item cannot be told from a Secret before it is written");
        }

        var identity = own.Kind is null ? new ObjectIdentity(own.ApiVersion ?? fallback.ApiVersion, fallback.Kind) : own;
        ServerSideForm.Refuse(rules, identity);

        // Lists and Tables are containers: counted by their items, the same whether streamed or held whole.
        ObjectsSeen += identity.IsList || identity.Kind == "Table" ? 0 : 1;
        new ObjectWalk(this, json, offset, PathsFor(identity), identity, nesting, replacements).Run();
    }

    /// <summary>Masks a Table row's <c>object</c>; the row's <c>cells</c> are left (for a Secret: name, type, key count, age).</summary>
    public void MaskRow(in ReadOnlySequence<byte> json, long offset, List<Replacement> replacements, int nesting = 0)
    {
        ServerSideForm.Refuse(rules, new(null, "Table")); // rows before the Table's kind
        var reader = new Utf8JsonReader(json, ReaderOptions);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isObject = reader.ValueTextEquals("object"u8);
            reader.Read();
            if (isObject && reader.TokenType == JsonTokenType.StartObject)
            {
                MaskNestedObject(ref reader, json, offset, default, replacements, nesting + 1);
            }
            else
            {
                reader.Skip();
            }
        }
    }

    /// <summary>Masks the object the reader is on (at its StartObject) and leaves the reader at its EndObject.</summary>
    public void MaskNestedObject(
        ref Utf8JsonReader reader, in ReadOnlySequence<byte> json, long offset, ObjectIdentity fallback, List<Replacement> replacements, int nesting)
    {
        var start = reader.TokenStartIndex;
        reader.Skip();
        MaskObject(json.Slice(start, reader.BytesConsumed - start), offset + start, fallback, kindRequired: false, replacements, nesting);
    }

    public void CountMaskedValue() => ValuesMasked++;

    private ImmutableArray<MaskPath> PathsFor(ObjectIdentity identity)
    {
        if (_pathsByIdentity.TryGetValue(identity, out var paths))
        {
            return paths;
        }

        paths = rules.PathsFor(identity);
        if (_pathsByIdentity.Count < MaxRememberedKinds)
        {
            _pathsByIdentity[identity] = paths;
        }

        return paths;
    }

    /// <summary>The object's own top-level kind and apiVersion; a repeated one is refused (readers disagree on which wins).</summary>
    private static ObjectIdentity ReadIdentity(in ReadOnlySequence<byte> json)
    {
        var reader = new Utf8JsonReader(json, ReaderOptions);
        reader.Read();
        string? kind = null, apiVersion = null;
        bool seenKind = false, seenApiVersion = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isKind = reader.ValueTextEquals("kind"u8);
            var isApiVersion = !isKind && reader.ValueTextEquals("apiVersion"u8);
            reader.Read();
            if ((isKind && seenKind) || (isApiVersion && seenApiVersion))
            {
                throw KubernetesMaskingException.Unmaskable("an object has two \"kind\" or two \"apiVersion\" properties");
            }

            var text = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            (kind, seenKind) = isKind ? (text, true) : (kind, seenKind);
            (apiVersion, seenApiVersion) = isApiVersion ? (text, true) : (apiVersion, seenApiVersion);
            reader.Skip();
        }

        return new(apiVersion, kind);
    }
}
