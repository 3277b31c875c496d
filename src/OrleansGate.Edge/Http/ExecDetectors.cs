using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;
using OrleansGate.Policy.Evaluation;
using OrleansGate.Policy.Masking;
using OrleansGate.Policy.Model;

namespace OrleansGate.Edge.Http;

/// <summary>
/// The detectors of the masks (<c>masks:</c>) that apply to one agent on one Kubernetes target, as the PostgreSQL path
/// picks them, run over what an exec carries: its command line for the audit, its output for the agent. Every find
/// becomes the detector's marker (<c>[email]</c>), whatever the mask's method: partial, hash and null are ways to
/// replace a column value, and exec output is free text. Thread-safe: it holds only the immutable detector sets.
/// </summary>
public sealed class ExecDetectors
{
    // A policy's masks live as long as the policy: their detector sets (custom patterns are compiled regexes) are made once.
    private static readonly ConditionalWeakTable<PolicyMask, DetectorSet> Sets = new();

    private readonly DetectorSet[] _sets;

    public ExecDetectors(IReadOnlyList<DetectorSet> sets)
    {
        ArgumentNullException.ThrowIfNull(sets);
        _sets = [.. sets];
    }

    /// <summary>The detectors for <paramref name="identity"/> on <paramref name="target"/>; null when no mask with detectors applies.</summary>
    public static ExecDetectors? For(CompiledPolicy policy, PolicyIdentity identity, string target)
    {
        if (policy.Masks.Count == 0)
        {
            return null;
        }

        List<DetectorSet>? sets = null;
        foreach (var mask in PolicyEvaluator.MasksFor(policy, identity, target))
        {
            if (mask.Detectors.Count > 0)
            {
                (sets ??= []).Add(Sets.GetValue(mask, static m => DetectorSet.Create(m.Detectors, m.Patterns)));
            }
        }

        return sets is null ? null : new ExecDetectors(sets);
    }

    /// <summary><paramref name="text"/> with every find replaced by its marker; <paramref name="found"/> counts the finds.</summary>
    public string Redact(string text, List<DetectedSpan> scratch, out int found)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(scratch);
        found = 0;
        // One set after another on the text the previous one left: finds of two masks that overlap are both hidden,
        // and a marker is no value any built-in detector finds.
        foreach (var set in _sets)
        {
            scratch.Clear();
            set.Detect(text, scratch);
            if (scratch.Count > 0)
            {
                found += scratch.Count;
                text = Redaction.Redact(text, scratch);
            }
        }

        return text;
    }

    /// <summary>
    /// Writes <paramref name="output"/> with its finds replaced to <paramref name="dest"/> and returns their number; writes
    /// nothing and returns 0 when there are none. Bytes that are not UTF-8 (binary output, a character cut by the frame's
    /// end) are read one character per byte, so what is written back is byte for byte what came, finds aside.
    /// </summary>
    public int Mask(ReadOnlySpan<byte> output, List<DetectedSpan> scratch, IBufferWriter<byte> dest)
    {
        ArgumentNullException.ThrowIfNull(scratch);
        ArgumentNullException.ThrowIfNull(dest);
        var encoding = Utf8.IsValid(output) ? Encoding.UTF8 : Encoding.Latin1;
        var chars = ArrayPool<char>.Shared.Rent(encoding.GetMaxCharCount(output.Length));
        try
        {
            var text = chars.AsSpan(0, encoding.GetChars(output, chars));
            if (!AnyFound(text, scratch))
            {
                return 0;
            }

            var masked = Redact(new string(text), scratch, out var found);
            var span = dest.GetSpan(encoding.GetMaxByteCount(masked.Length));
            dest.Advance(encoding.GetBytes(masked, span));
            return found;
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
        }
    }

    /// <summary>Detects without allocating a string, so output without a find costs no more than the scan.</summary>
    private bool AnyFound(ReadOnlySpan<char> text, List<DetectedSpan> scratch)
    {
        foreach (var set in _sets)
        {
            scratch.Clear();
            set.Detect(text, scratch);
            if (scratch.Count > 0)
            {
                return true;
            }
        }

        return false;
    }
}
