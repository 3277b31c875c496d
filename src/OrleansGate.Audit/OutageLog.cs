namespace OrleansGate.Audit;

/// <summary>
/// Keeps a failing audit store from flooding the log: the first failure of an outage is logged, later ones are
/// counted and summarised at most once per <paramref name="summaryInterval"/>, and the recovery is logged with the
/// count. Thread-safe; the success path costs one volatile read while nothing is failing.
/// </summary>
public sealed class OutageLog(TimeProvider time, TimeSpan summaryInterval)
{
    private readonly Lock _lock = new();
    private volatile bool _down;
    private long _failures;
    private long _started;
    private long _lastLogged;

    /// <summary>Whether the last attempt failed.</summary>
    public bool IsDown => _down;

    /// <summary>Counts a failure; says whether to log it (the first of an outage, or a periodic summary) and with which figures.</summary>
    public OutageReport Failed()
    {
        lock (_lock)
        {
            var now = time.GetTimestamp();
            if (!_down)
            {
                (_down, _failures, _started, _lastLogged) = (true, 1, now, now);
                return new OutageReport(OutageLogKind.First, 1, TimeSpan.Zero);
            }

            _failures++;
            if (time.GetElapsedTime(_lastLogged, now) < summaryInterval)
            {
                return new OutageReport(OutageLogKind.None, _failures, time.GetElapsedTime(_started, now));
            }

            _lastLogged = now;
            return new OutageReport(OutageLogKind.Summary, _failures, time.GetElapsedTime(_started, now));
        }
    }

    /// <summary>Ends an outage: its figures, or null when there was none.</summary>
    public OutageReport? Recovered()
    {
        if (!_down)
        {
            return null;
        }

        lock (_lock)
        {
            if (!_down)
            {
                return null;
            }

            _down = false;
            return new OutageReport(OutageLogKind.Recovered, _failures, time.GetElapsedTime(_started));
        }
    }
}
