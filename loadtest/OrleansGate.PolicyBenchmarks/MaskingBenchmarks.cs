using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using BenchmarkDotNet.Attributes;
using OrleansGate.Edge.Masking;
using OrleansGate.Policy.Masking;
using OrleansGate.Policy.Model;

namespace OrleansGate.PolicyBenchmarks;

/// <summary>
/// The relay's per-row cost of masking (issue 15, bar: 0.5 µs per masked field): a point-select row with one
/// masked column against the same row through a plan that masks nothing (the difference is the per-field
/// cost), and the detectors over four ~40-character text values without and with one find.
/// </summary>
[MemoryDiagnoser]
public class MaskingBenchmarks
{
    private const uint Int4 = 23;
    private const uint Text = 25;

    private readonly ArrayBufferWriter<byte> _output = new(4096);
    private readonly MaskCounts _counts = new();
    private ReadOnlySequence<byte> _pointRow;
    private ReadOnlySequence<byte> _pointRowNoMask;
    private ReadOnlySequence<byte> _plainTexts;
    private ReadOnlySequence<byte> _oneFind;
    private RowMasker _oneMasked = null!;
    private RowMasker _noneMasked = null!;
    private RowMasker _detectors = null!;

    [GlobalSetup]
    public void Setup()
    {
        var redact = new ValueMasker(new PolicyMask
        {
            Name = "pii",
            Match = new PolicyRule { Name = "pii", Effect = PolicyEffect.Allow, Reason = "mask" },
            Method = MaskMethod.Redact,
        }, null);

        _pointRow = Row(Int32(42), Utf8("Ann Example"), Utf8("ann@example.com"), Utf8("4111 1111 1111 1111"));
        _oneMasked = RowMasker.Create(
            [new(Int4, 1, null, null), new(Text, 0, null, null), new(Text, 0, redact, "public.customers.email (pii)"), new(Text, 0, null, null)],
            [])!;

        // The same plan over the same row with the email NULL: parsed and written alike, nothing masked.
        _noneMasked = _oneMasked;
        _pointRowNoMask = Row(Int32(42), Utf8("Ann Example"), null, Utf8("4111 1111 1111 1111"));

        var texts = new FieldPlan[] { new(Text, 0, null, null), new(Text, 0, null, null), new(Text, 0, null, null), new(Text, 0, null, null) };
        _detectors = RowMasker.Create(texts, [new DetectorGroup(DetectorSet.Create(["email", "card"], new Dictionary<string, string>()), redact)])!;
        const string plain = "The quick brown fox jumps over the lazy d";
        _plainTexts = Row(Utf8(plain), Utf8(plain), Utf8(plain), Utf8(plain));
        _oneFind = Row(Utf8(plain), Utf8("write to ann@example.com about the order"), Utf8(plain), Utf8(plain));
    }

    [Benchmark(Baseline = true)]
    public int PointRow_plan_without_masked_field() => Run(_noneMasked, _pointRowNoMask);

    [Benchmark]
    public int PointRow_one_masked_field() => Run(_oneMasked, _pointRow);

    [Benchmark]
    public int Detectors_four_texts_no_find() => Run(_detectors, _plainTexts);

    [Benchmark]
    public int Detectors_four_texts_one_find() => Run(_detectors, _oneFind);

    private int Run(RowMasker masker, ReadOnlySequence<byte> row)
    {
        _output.ResetWrittenCount();
        masker.Rewrite(row, _output, _counts);
        return _output.WrittenCount;
    }

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    private static byte[] Int32(int v)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(b, v);
        return b;
    }

    private static ReadOnlySequence<byte> Row(params byte[]?[] values)
    {
        var w = new ArrayBufferWriter<byte>();
        BinaryPrimitives.WriteInt16BigEndian(w.GetSpan(2), (short)values.Length);
        w.Advance(2);
        foreach (var v in values)
        {
            BinaryPrimitives.WriteInt32BigEndian(w.GetSpan(4), v?.Length ?? -1);
            w.Advance(4);
            w.Write(v ?? []);
        }

        return new ReadOnlySequence<byte>(w.WrittenMemory.ToArray());
    }
}
