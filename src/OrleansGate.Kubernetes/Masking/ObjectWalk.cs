using System.Buffers;
using System.Collections.Immutable;
using System.Text.Json;

namespace OrleansGate.Kubernetes.Masking;

/// <summary>
/// Walks one object with the mask paths of its kind and records a <see cref="Replacement"/> for each value at a path.
/// Only branches some path can still reach are descended into; the rest is skipped.
/// </summary>
internal sealed class ObjectWalk(
    ObjectMasker masker,
    ReadOnlySequence<byte> json,
    long offset,
    ImmutableArray<MaskPath> paths,
    ObjectIdentity identity,
    int nesting,
    List<Replacement> replacements)
{
    private const int MaxStackCursors = 32;

    public void Run()
    {
        var reader = new Utf8JsonReader(json, ObjectMasker.ReaderOptions);
        reader.Read();
        var all = new PathCursor[paths.Length];
        for (var i = 0; i < all.Length; i++)
        {
            all[i] = new(i, 0);
        }

        WalkObject(ref reader, all, isRoot: true);
    }

    private void WalkObject(ref Utf8JsonReader reader, scoped ReadOnlySpan<PathCursor> active, bool isRoot)
    {
        Span<PathCursor> next = active.Length <= MaxStackCursors ? stackalloc PathCursor[active.Length] : new PathCursor[active.Length];
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var count = 0;
            MaskPath? complete = null;
            foreach (var cursor in active)
            {
                var path = paths[cursor.Path];
                if (!path.Segments[cursor.Segment].MatchesProperty(ref reader))
                {
                    continue;
                }

                if (cursor.Segment + 1 == path.Segments.Length)
                {
                    complete ??= path;
                }
                else
                {
                    next[count++] = cursor with { Segment = cursor.Segment + 1 };
                }
            }

            var role = isRoot && complete is null ? RoleOf(ref reader) : NestedRole.None;
            reader.Read();
            if (complete is not null)
            {
                Mask(ref reader, complete);
            }
            else if (role == NestedRole.None || !TryMaskNested(ref reader, role))
            {
                Descend(ref reader, next[..count]);
            }
        }
    }

    private void WalkArray(ref Utf8JsonReader reader, scoped ReadOnlySpan<PathCursor> active)
    {
        Span<PathCursor> next = active.Length <= MaxStackCursors ? stackalloc PathCursor[active.Length] : new PathCursor[active.Length];
        var count = 0;
        MaskPath? complete = null;
        foreach (var cursor in active)
        {
            var path = paths[cursor.Path];
            if (path.Segments[cursor.Segment].Kind != MaskPathSegmentKind.AnyElement)
            {
                continue;
            }

            if (cursor.Segment + 1 == path.Segments.Length)
            {
                complete ??= path;
            }
            else
            {
                next[count++] = cursor with { Segment = cursor.Segment + 1 };
            }
        }

        if (complete is null && count == 0)
        {
            reader.Skip();
            return;
        }

        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (complete is not null)
            {
                Mask(ref reader, complete);
            }
            else
            {
                Descend(ref reader, next[..count]);
            }
        }
    }

    /// <summary>Into the value the reader is on, with the cursors that reached it; skips it when none did.</summary>
    private void Descend(ref Utf8JsonReader reader, scoped ReadOnlySpan<PathCursor> active)
    {
        if (active.IsEmpty)
        {
            reader.Skip();
        }
        else if (reader.TokenType == JsonTokenType.StartObject)
        {
            WalkObject(ref reader, active, isRoot: false);
        }
        else if (reader.TokenType == JsonTokenType.StartArray)
        {
            WalkArray(ref reader, active);
        }
    }

    /// <summary>Replaces the whole value the reader is on (a string, or anything else: a number or an object too).</summary>
    private void Mask(ref Utf8JsonReader reader, MaskPath path)
    {
        var start = reader.TokenStartIndex;
        reader.Skip();
        replacements.Add(new(offset + start, offset + reader.BytesConsumed, path.Placeholder));
        masker.CountMaskedValue();
    }

    /// <remarks>
    /// Items, rows and a watch event's object are recognised where the object's kind says it has them (a list, a Table),
    /// and in objects of unknown kind, which could be either.
    /// </remarks>
    private NestedRole RoleOf(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("items"u8) && (identity.Kind is null || identity.IsList) ? NestedRole.Items
        : reader.ValueTextEquals("rows"u8) && identity.Kind is null or "Table" ? NestedRole.Rows
        : reader.ValueTextEquals("object"u8) && identity.Kind is null ? NestedRole.Object
        : NestedRole.None;

    private bool TryMaskNested(ref Utf8JsonReader reader, NestedRole role)
    {
        if (role == NestedRole.Object)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            masker.MaskNestedObject(ref reader, json, offset, default, replacements, nesting + 1);
            return true;
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return false;
        }

        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw KubernetesMaskingException.Unmaskable($"an element of \"{(role == NestedRole.Items ? "items" : "rows")}\" is not an object");
            }

            if (role == NestedRole.Items)
            {
                masker.MaskNestedObject(ref reader, json, offset, identity.ItemIdentity, replacements, nesting + 1);
            }
            else
            {
                var start = reader.TokenStartIndex;
                reader.Skip();
                masker.MaskRow(json.Slice(start, reader.BytesConsumed - start), offset + start, replacements, nesting + 1);
            }
        }

        return true;
    }
}
