using System.Text;

namespace OrleansGate.Policy.Masking;

/// <summary>Replaces the spans a <see cref="DetectorSet"/> found with markers such as <c>[email]</c>.</summary>
public static class Redaction
{
    /// <summary>The default marker: the detector's name in brackets.</summary>
    public static string DefaultMarker(string detector) => $"[{detector}]";

    /// <summary>
    /// <paramref name="value"/> with each span replaced by <paramref name="markerFor"/>(detector name), or by
    /// <see cref="DefaultMarker"/>. Returns <paramref name="value"/> itself when there is nothing to replace.
    /// </summary>
    /// <param name="spans">Sorted by start and not overlapping, as <see cref="DetectorSet.Detect"/> leaves them.</param>
    /// <exception cref="ArgumentException">A span is out of order or outside the value; the message gives positions only, never text.</exception>
    public static string Redact(string value, IReadOnlyList<DetectedSpan> spans, Func<string, string>? markerFor = null)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(spans);
        if (spans.Count == 0)
        {
            return value;
        }

        markerFor ??= DefaultMarker;
        var builder = new StringBuilder(value.Length);
        var copied = 0;
        foreach (var span in spans)
        {
            if (span.Start < copied || span.Length < 0 || span.End > value.Length)
            {
                throw new ArgumentException(
                    $"span {span.Start}+{span.Length} of '{span.Detector}' overlaps the previous span or lies outside a value of length {value.Length}",
                    nameof(spans));
            }

            builder.Append(value, copied, span.Start - copied).Append(markerFor(span.Detector));
            copied = span.End;
        }

        return builder.Append(value, copied, value.Length - copied).ToString();
    }
}
