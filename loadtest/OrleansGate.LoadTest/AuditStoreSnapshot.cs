namespace OrleansGate.LoadTest;

/// <summary>
/// The audit store at one moment: the highest audit sequence number and the CPU ticks (utime + stime, USER_HZ)
/// of each PostgreSQL backend serving the gateway's audit writers, by backend pid.
/// </summary>
public sealed record AuditStoreSnapshot(long LastSeq, IReadOnlyDictionary<int, long> CpuTicksByBackend)
{
    /// <summary>
    /// CPU ticks the writers' backends used between <paramref name="before"/> and <paramref name="after"/>: a backend
    /// that appeared in between counts from zero (it was started in the window); one that is gone took its ticks with
    /// it and is counted in <see cref="Lost"/> instead (the writers hold their connections, so that is rare).
    /// </summary>
    public static (long Ticks, int Backends, int Lost) CpuTicksBetween(AuditStoreSnapshot before, AuditStoreSnapshot after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var ticks = 0L;
        foreach (var (pid, now) in after.CpuTicksByBackend)
        {
            // A smaller value means the pid was reused by a new backend: count that one from zero.
            var then = before.CpuTicksByBackend.GetValueOrDefault(pid);
            ticks += now >= then ? now - then : now;
        }

        var lost = before.CpuTicksByBackend.Keys.Count(pid => !after.CpuTicksByBackend.ContainsKey(pid));
        return (ticks, after.CpuTicksByBackend.Count, lost);
    }
}
