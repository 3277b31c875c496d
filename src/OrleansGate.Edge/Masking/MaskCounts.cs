using System.Runtime.InteropServices;

namespace OrleansGate.Edge.Masking;

/// <summary>How many values each column mask and each detector replaced, for the audit of one statement.</summary>
/// <remarks>Labels are built once per plan, so counting a value allocates nothing.</remarks>
public sealed class MaskCounts
{
    private readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal);

    public bool IsEmpty => _counts.Count == 0;

    public void Add(string label, long n = 1)
    {
        ArgumentNullException.ThrowIfNull(label);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        CollectionsMarshal.GetValueRefOrAddDefault(_counts, label, out _) += n;
    }

    /// <summary>One <c>label: count</c> line per label, sorted ordinally so the audit text is stable.</summary>
    public IReadOnlyList<string> Summary()
    {
        var labels = new string[_counts.Count];
        _counts.Keys.CopyTo(labels, 0);
        Array.Sort(labels, StringComparer.Ordinal);
        var lines = new string[labels.Length];
        for (var i = 0; i < labels.Length; i++)
        {
            lines[i] = $"{labels[i]}: {_counts[labels[i]]}";
        }

        return lines;
    }

    public void Clear() => _counts.Clear();
}
