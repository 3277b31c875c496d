namespace OrleansGate.Edge.Telemetry;

/// <summary>
/// Lets one log line through per interval and counts the ones held back, so that a dependency that is down
/// (the cluster, the audit store) cannot flood the log with one line per refused client. Thread-safe.
/// </summary>
public sealed class LogThrottle(TimeProvider time, TimeSpan interval)
{
    private readonly Lock _lock = new();
    private long _lastLogged;
    private bool _loggedOnce;
    private long _heldBack;

    /// <summary>True when this occurrence should be logged; <paramref name="heldBack"/> is how many were not since the last one.</summary>
    public bool ShouldLog(out long heldBack)
    {
        lock (_lock)
        {
            var now = time.GetTimestamp();
            if (_loggedOnce && time.GetElapsedTime(_lastLogged, now) < interval)
            {
                _heldBack++;
                heldBack = 0;
                return false;
            }

            (_loggedOnce, _lastLogged, heldBack, _heldBack) = (true, now, _heldBack, 0);
            return true;
        }
    }
}
