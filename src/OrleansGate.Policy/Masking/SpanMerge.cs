namespace OrleansGate.Policy.Masking;

/// <summary>Orders the spans found in one value and merges those that overlap.</summary>
internal static class SpanMerge
{
    private static readonly Comparer<DetectedSpan> StartThenLongest = Comparer<DetectedSpan>.Create(
        static (x, y) => x.Start != y.Start ? x.Start.CompareTo(y.Start) : y.Length.CompareTo(x.Length));

    /// <summary>
    /// Sorts <paramref name="spans"/> from <paramref name="first"/> on by start (longest first on a tie) and
    /// merges overlapping ones in place. A merged span keeps the name of the span that starts it, so its
    /// marker names the detector that found its beginning. Touching spans stay apart: each keeps its marker.
    /// </summary>
    public static void SortAndMerge(List<DetectedSpan> spans, int first)
    {
        spans.Sort(first, spans.Count - first, StartThenLongest);

        var kept = first;
        for (var i = first + 1; i < spans.Count; i++)
        {
            var current = spans[kept];
            var next = spans[i];
            if (next.Start < current.End)
            {
                spans[kept] = current with { Length = Math.Max(current.End, next.End) - current.Start };
            }
            else
            {
                spans[++kept] = next;
            }
        }

        spans.RemoveRange(kept + 1, spans.Count - kept - 1);
    }
}
