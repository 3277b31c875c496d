namespace OrleansGate.Grains.Audit;

/// <summary>
/// One per silo: statements refused because their record could not be written are logged once when the audit
/// store goes away, then summarised once a minute with a count, and once more when it is back, instead of one
/// line per refused statement (a busy silo refuses thousands a second during an outage).
/// </summary>
public sealed class StatementRefusalLog(TimeProvider time)
{
    private readonly OutageLog _outage = new(time, TimeSpan.FromMinutes(1));

    /// <summary>Counts a refusal: 1 = log it as the first, 2 = log a summary, 0 = only counted. <paramref name="count"/> so far.</summary>
    public int Refused(out long count, out TimeSpan duration)
    {
        var report = _outage.Failed();
        (count, duration) = (report.Failures, report.Duration);
        return report.Kind switch
        {
            OutageLogKind.First => 1,
            OutageLogKind.Summary => 2,
            _ => 0,
        };
    }

    /// <summary>After a record was written: true (once) when refusals had been counted, with their figures.</summary>
    public bool Recovered(out long count, out TimeSpan duration)
    {
        if (_outage.Recovered() is { } report)
        {
            (count, duration) = (report.Failures, report.Duration);
            return true;
        }

        (count, duration) = (0, TimeSpan.Zero);
        return false;
    }
}
