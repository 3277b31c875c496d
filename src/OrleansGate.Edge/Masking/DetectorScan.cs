using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using OrleansGate.Policy.Masking;
using OrleansGate.Policy.Model;

namespace OrleansGate.Edge.Masking;

/// <summary>Runs every <see cref="DetectorGroup"/> over one text or JSON value and replaces what they find.</summary>
/// <remarks>
/// A value with no find is left as it came (no re-encoding). Not thread-safe: it keeps its buffers between values.
/// </remarks>
internal sealed class DetectorScan
{
    private const int KeepAtMost = 32 * 1024;

    private static readonly Comparer<GroupSpan> StartThenLongest = Comparer<GroupSpan>.Create(
        static (x, y) => x.Start != y.Start ? x.Start.CompareTo(y.Start) : y.End.CompareTo(x.End));

    private static readonly JsonReaderOptions JsonOptions = new() { MaxDepth = 1_000_000 };

    private readonly DetectorGroup[] _groups;
    private readonly string _undecodableLabel;
    private readonly List<DetectedSpan> _found = [];
    private readonly List<GroupSpan> _spans = [];
    private char[] _chars = [];

    public DetectorScan(IReadOnlyList<DetectorGroup> groups)
    {
        _groups = [.. groups];
        var names = new string[_groups.Length];
        for (var i = 0; i < names.Length; i++)
        {
            names[i] = _groups[i].Masker.Mask.Name;
        }

        _undecodableLabel = $"undecodable ({string.Join(", ", names)})";
    }

    /// <summary>Whether detectors look at values of this type (COPY text/csv: also of unknown type).</summary>
    public static bool Scans(uint typeOid, bool unknownIsText) =>
        PgTypeOids.IsTextLike(typeOid) || PgTypeOids.IsJson(typeOid) || (unknownIsText && typeOid == PgTypeOids.Unknown);

    public FieldOutcome Rewrite(
        ReadOnlySpan<byte> value, uint typeOid, short format, bool unknownIsText, PooledByteWriter dest, MaskCounts counts)
    {
        if (!Scans(typeOid, unknownIsText))
        {
            return FieldOutcome.Unchanged;
        }

        var jsonbBinary = typeOid == PgTypeOids.Jsonb && format == 1;
        if (jsonbBinary)
        {
            if (value.IsEmpty || value[0] != ValueMasker.JsonbVersion)
            {
                counts.Add(_undecodableLabel);
                return FieldOutcome.Null;
            }

            value = value[1..];
        }

        try
        {
            if (_chars.Length < value.Length)
            {
                Grow(value.Length);
            }

            // Fail closed: a value the detectors cannot read may hold anything.
            if (Utf8.ToUtf16(value, _chars, out _, out var length, replaceInvalidSequences: false) != OperationStatus.Done)
            {
                counts.Add(_undecodableLabel);
                return FieldOutcome.Null;
            }

            ReadOnlySpan<char> text = _chars.AsSpan(0, length);
            if (!Find(text, counts, out var nullValue))
            {
                return FieldOutcome.Unchanged;
            }

            if (nullValue)
            {
                return FieldOutcome.Null;
            }

            var start = dest.WrittenCount;
            if (jsonbBinary)
            {
                dest.WriteByte(ValueMasker.JsonbVersion);
            }

            var bodyStart = dest.WrittenCount;
            WriteReplaced(text, dest);

            // A find outside a JSON string (a card number written as a JSON number) would leave invalid JSON.
            if (PgTypeOids.IsJson(typeOid) && !IsJson(dest.Slice(bodyStart, dest.WrittenCount - bodyStart)))
            {
                dest.Truncate(start);
                return FieldOutcome.Null;
            }

            return FieldOutcome.Replaced;
        }
        finally
        {
            _spans.Clear();
            if (_chars.Length > KeepAtMost)
            {
                ArrayPool<char>.Shared.Return(_chars);
                _chars = [];
            }
        }
    }

    /// <summary>Collects, counts and merges the finds of all groups; false when there are none.</summary>
    private bool Find(ReadOnlySpan<char> text, MaskCounts counts, out bool nullValue)
    {
        nullValue = false;
        for (var g = 0; g < _groups.Length; g++)
        {
            var group = _groups[g];
            _found.Clear();
            group.Detectors.Detect(text, _found);
            foreach (var found in _found)
            {
                counts.Add(group.LabelFor(found.Detector));
                _spans.Add(new GroupSpan(found.Start, found.End, g, found.Detector));
                nullValue |= group.Method == MaskMethod.Null;
            }
        }

        if (_groups.Length > 1 && _spans.Count > 1)
        {
            Merge();
        }

        return _spans.Count > 0;
    }

    /// <summary>
    /// Merges overlapping finds of different groups. The merged span keeps the detector that found its start (as
    /// <c>SpanMerge</c> does) and the method that shows least, so one mask cannot reveal what another hides.
    /// </summary>
    private void Merge()
    {
        _spans.Sort(StartThenLongest);
        var kept = 0;
        for (var i = 1; i < _spans.Count; i++)
        {
            var current = _spans[kept];
            var next = _spans[i];
            if (next.Start < current.End)
            {
                var group = Strength(_groups[next.Group].Method) > Strength(_groups[current.Group].Method) ? next.Group : current.Group;
                _spans[kept] = current with { End = Math.Max(current.End, next.End), Group = group };
            }
            else
            {
                _spans[++kept] = next;
            }
        }

        _spans.RemoveRange(kept + 1, _spans.Count - kept - 1);
    }

    private static int Strength(MaskMethod method) => method switch
    {
        MaskMethod.Redact => 3,
        MaskMethod.Hash => 2,
        _ => 1,
    };

    private void WriteReplaced(ReadOnlySpan<char> text, PooledByteWriter dest)
    {
        var copied = 0;
        foreach (var span in _spans)
        {
            WriteUtf8(text[copied..span.Start], dest);
            WriteSpan(text[span.Start..span.End], _groups[span.Group], span.Detector, dest);
            copied = span.End;
        }

        WriteUtf8(text[copied..], dest);
    }

    private static void WriteSpan(ReadOnlySpan<char> found, DetectorGroup group, string detector, PooledByteWriter dest)
    {
        if (group.Method == MaskMethod.Redact)
        {
            dest.Write(group.MarkerFor(detector));
            return;
        }

        var rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(found.Length));
        try
        {
            var utf8 = rented.AsSpan(0, Encoding.UTF8.GetBytes(found, rented));
            if (group.Method == MaskMethod.Partial)
            {
                ValueMasker.TryPartial(utf8, group.Masker.Mask.Keep, dest);
                return;
            }

            Span<byte> mac = stackalloc byte[32];
            group.Masker.Mac(utf8, mac);
            ValueMasker.WriteTextHash(mac, dest.GetSpan(ValueMasker.TextHashLength));
            dest.Advance(ValueMasker.TextHashLength);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static void WriteUtf8(ReadOnlySpan<char> text, PooledByteWriter dest)
    {
        var span = dest.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        dest.Advance(Encoding.UTF8.GetBytes(text, span));
    }

    private static bool IsJson(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, JsonOptions);
        try
        {
            while (reader.Read())
            {
            }

            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private void Grow(int length)
    {
        if (_chars.Length > 0)
        {
            ArrayPool<char>.Shared.Return(_chars);
        }

        _chars = ArrayPool<char>.Shared.Rent(length);
    }

    private readonly record struct GroupSpan(int Start, int End, int Group, string Detector);
}
