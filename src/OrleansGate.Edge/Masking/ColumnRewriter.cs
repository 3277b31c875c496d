namespace OrleansGate.Edge.Masking;

/// <summary>The per-column decision shared by <see cref="RowMasker"/> and <see cref="CopyRowMasker"/>: mask whole, scan, or pass.</summary>
internal sealed class ColumnRewriter
{
    private readonly FieldPlan[] _fields;
    private readonly string?[] _labels;
    private readonly DetectorScan? _scan;
    private readonly bool _unknownIsText;

    private ColumnRewriter(FieldPlan[] fields, DetectorScan? scan, bool unknownIsText)
    {
        _fields = fields;
        _scan = scan;
        _unknownIsText = unknownIsText;
        _labels = new string?[fields.Length];
        for (var i = 0; i < fields.Length; i++)
        {
            if (fields[i].Masker is { } masker)
            {
                _labels[i] = CountLabel(fields[i].Label, i, masker);
            }
        }
    }

    public int Count => _fields.Length;

    /// <summary>Null when no column is masked and no detector would look at any column.</summary>
    /// <param name="unknownIsText">COPY text/csv: detectors also read columns of unknown type (0).</param>
    public static ColumnRewriter? Create(IReadOnlyList<FieldPlan> fields, IReadOnlyList<DetectorGroup> detectors, bool unknownIsText)
    {
        ArgumentNullException.ThrowIfNull(fields);
        ArgumentNullException.ThrowIfNull(detectors);
        var plans = new FieldPlan[fields.Count];
        var detecting = false;
        for (var g = 0; g < detectors.Count; g++)
        {
            detecting |= detectors[g].Detectors.Detectors.Count > 0;
        }

        var masked = false;
        var scanned = false;
        for (var i = 0; i < plans.Length; i++)
        {
            plans[i] = fields[i];
            masked |= plans[i].Masker is not null;
            scanned |= plans[i].Masker is null && detecting && DetectorScan.Scans(plans[i].TypeOid, unknownIsText);
        }

        return masked || scanned
            ? new ColumnRewriter(plans, scanned ? new DetectorScan(detectors) : null, unknownIsText)
            : null;
    }

    public uint TypeOid(int index) => _fields[index].TypeOid;

    public short Format(int index) => _fields[index].Format;

    /// <summary>Whether the column can come out different from how it went in (else its bytes are copied unread).</summary>
    public bool Touches(int index) =>
        _fields[index].Masker is not null || (_scan is not null && DetectorScan.Scans(_fields[index].TypeOid, _unknownIsText));

    /// <summary>Masks one non-NULL value of column <paramref name="index"/>; a replacement goes to <paramref name="dest"/>.</summary>
    public FieldOutcome Rewrite(int index, ReadOnlySpan<byte> value, short format, PooledByteWriter dest, MaskCounts counts)
    {
        ref readonly var plan = ref _fields[index];
        if (plan.Masker is { } masker)
        {
            counts.Add(_labels[index]!);
            var start = dest.WrittenCount;
            if (masker.TryReplace(value, plan.TypeOid, format, dest))
            {
                return FieldOutcome.Replaced;
            }

            dest.Truncate(start);
            return FieldOutcome.Null;
        }

        return _scan is null
            ? FieldOutcome.Unchanged
            : _scan.Rewrite(value, plan.TypeOid, format, _unknownIsText, dest, counts);
    }

    /// <summary>"public.customers.email (pii)" counts as "public.customers.email (pii, redact)".</summary>
    private static string CountLabel(string? label, int index, ValueMasker masker)
    {
        if (label is null)
        {
            return $"column {index + 1} ({masker.Mask.Name}, {masker.MethodName})";
        }

        return label.EndsWith(')')
            ? $"{label[..^1]}, {masker.MethodName})"
            : $"{label} ({masker.Mask.Name}, {masker.MethodName})";
    }
}
