using OrleansGate.Model;

namespace OrleansGate.Grains.Sessions;

/// <summary>
/// Which of a session's completions (by <see cref="StatementCompletion.Number"/>) are written. The edge sends a
/// completion again when it did not hear back (a lost answer, a refused request); two requests may carry different
/// completions at once (a flush of its own and a statement's), so numbers can arrive out of order. Every number up to
/// the watermark is written; the few written above it are kept apart until the gap below them closes.
/// </summary>
public sealed class CompletionLedger
{
    private readonly HashSet<long> _above = [];
    private long _watermark;

    /// <summary>Those of <paramref name="completions"/> not written yet (completions without a number are always new).</summary>
    public IReadOnlyList<StatementCompletion> New(IReadOnlyList<StatementCompletion> completions)
    {
        ArgumentNullException.ThrowIfNull(completions);
        var written = 0;
        foreach (var c in completions)
        {
            written += IsWritten(c) ? 1 : 0;
        }

        return written == 0 ? completions : [.. completions.Where(c => !IsWritten(c))];
    }

    /// <summary>Records that <paramref name="completions"/> are durable.</summary>
    public void Written(IReadOnlyList<StatementCompletion> completions)
    {
        ArgumentNullException.ThrowIfNull(completions);
        foreach (var c in completions)
        {
            if (c.Number > _watermark)
            {
                _above.Add(c.Number);
            }
        }

        while (_above.Remove(_watermark + 1))
        {
            _watermark++;
        }
    }

    private bool IsWritten(StatementCompletion c) => c.Number > 0 && (c.Number <= _watermark || _above.Contains(c.Number));
}
