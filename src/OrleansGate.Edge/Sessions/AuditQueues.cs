using System.Runtime.CompilerServices;

namespace OrleansGate.Edge.Sessions;

/// <summary>
/// The audit pumps of this edge's sessions, for the queue-depth gauge. Held weakly: a session whose login failed is never
/// closed, and its pump (empty once its Login record failed) goes with it.
/// </summary>
public sealed class AuditQueues
{
    private readonly ConditionalWeakTable<AuditPump, object?> _pumps = new();

    public void Add(AuditPump pump) => _pumps.AddOrUpdate(pump, null);

    /// <summary>Records queued in all pumps, not written yet.</summary>
    public long Depth()
    {
        long depth = 0;
        foreach (var (pump, _) in _pumps)
        {
            depth += pump.Queued;
        }

        return depth;
    }
}
