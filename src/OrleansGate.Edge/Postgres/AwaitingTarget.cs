using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using OrleansGate.Postgres.Protocol;

namespace OrleansGate.Edge.Postgres;

/// <summary>What is pending for a name when a Bind or Execute of it is sent.</summary>
internal enum PendingChange
{
    /// <summary>Nothing awaiting the target's answer touches it: the confirmed table decides.</summary>
    None,

    /// <summary>The latest message touching it is in the cycle being sent, and none is in an earlier one.</summary>
    ThisCycle,

    /// <summary>A message in an earlier, unanswered cycle touches it: only the target's answer to that cycle tells.</summary>
    EarlierCycle,
}

/// <summary>
/// The forwarded messages that change the statement and portal tables, in the order the target answers them, indexed
/// by name (statements and portals apart; a DEALLOCATE or DISCARD touches every statement name), so that a Bind or
/// Execute learns what is pending for its name in O(1) however many messages a pipelining client has sent.
/// Bounded: past <c>capacity</c> messages awaiting an answer the session is closed (54000) rather than grown.
/// Not thread-safe: the session holds its lock around every call.
/// </summary>
internal sealed class AwaitingTarget(int capacity)
{
    private readonly Queue<PendingExtended> _queue = new();
    private readonly Dictionary<string, PendingTouches> _statements = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PendingTouches> _portals = new(StringComparer.Ordinal);
    private PendingTouches _forgets;
    private long _queued;
    private int _parsedNames;
    private int _boundNames;

    public int Count => _queue.Count;

    /// <summary>Statement names with a Parse awaiting its ParseComplete (they count towards the statement limit).</summary>
    public int ParsedNames => _parsedNames;

    /// <summary>Portal names with a Bind awaiting its BindComplete (they count towards the portal limit).</summary>
    public int BoundNames => _boundNames;

    /// <summary>Queues a forwarded message; past the capacity, throws (the session ends) and queues nothing.</summary>
    public void Add(in PendingExtended entry)
    {
        if (_queue.Count >= capacity)
        {
            throw new PgProtocolException("54000",
                $"more than {capacity} messages await the target's answer (the client sends without reading the answers); session closed");
        }

        _queue.Enqueue(entry);
        var sequence = _queued++;
        switch (entry.Kind)
        {
            case PendingExtendedKind.Parse or PendingExtendedKind.CloseStatement:
                Touch(_statements, entry, sequence, entry.Kind == PendingExtendedKind.Parse, ref _parsedNames);
                break;
            case PendingExtendedKind.Bind or PendingExtendedKind.ClosePortal:
                Touch(_portals, entry, sequence, entry.Kind == PendingExtendedKind.Bind, ref _boundNames);
                break;
            case PendingExtendedKind.ForgetStatements:
                _forgets.Add(entry, sequence, create: false);
                break;
        }
    }

    public bool TryPeek(out PendingExtended head) => _queue.TryPeek(out head);

    /// <summary>Removes the oldest message, answered (or skipped) by the target.</summary>
    public PendingExtended Take()
    {
        var head = _queue.Dequeue();
        switch (head.Kind)
        {
            case PendingExtendedKind.Parse or PendingExtendedKind.CloseStatement:
                Answered(_statements, head.Name, head.Kind == PendingExtendedKind.Parse, ref _parsedNames);
                break;
            case PendingExtendedKind.Bind or PendingExtendedKind.ClosePortal:
                Answered(_portals, head.Name, head.Kind == PendingExtendedKind.Bind, ref _boundNames);
                break;
            case PendingExtendedKind.ForgetStatements:
                _forgets.RemoveOldest(create: false);
                break;
        }

        return head;
    }

    /// <summary>Whether a Parse (or, for a portal, a Bind) of <paramref name="name"/> awaits the target's answer: the name is not new.</summary>
    public bool IsBeingCreated(string name, bool portal) =>
        (portal ? _portals : _statements).TryGetValue(name, out var touches) && touches.Creates > 0;

    /// <summary>
    /// What is pending for statement (or portal) <paramref name="name"/> when a message of cycle <paramref name="cycle"/>
    /// is sent; for <see cref="PendingChange.ThisCycle"/>, <paramref name="latest"/> is the latest message touching it.
    /// </summary>
    public PendingChange Find(string name, bool portal, long cycle, out PendingExtended latest)
    {
        latest = default;
        var latestSequence = -1L;
        ref var touches = ref CollectionsMarshal.GetValueRefOrNullRef(portal ? _portals : _statements, name);
        if (!Unsafe.IsNullRef(ref touches))
        {
            if (touches.HasEarlierCycle(cycle))
            {
                return PendingChange.EarlierCycle;
            }

            (latest, latestSequence) = (touches.Latest, touches.LatestSequence);
        }

        if (!portal && _forgets.Pending > 0)
        {
            if (_forgets.HasEarlierCycle(cycle))
            {
                return PendingChange.EarlierCycle;
            }

            if (_forgets.LatestSequence > latestSequence)
            {
                (latest, latestSequence) = (_forgets.Latest, _forgets.LatestSequence);
            }
        }

        return latestSequence < 0 ? PendingChange.None : PendingChange.ThisCycle;
    }

    private static void Touch(Dictionary<string, PendingTouches> index, in PendingExtended entry, long sequence, bool create, ref int createdNames)
    {
        ref var touches = ref CollectionsMarshal.GetValueRefOrAddDefault(index, entry.Name, out _);
        createdNames += create && touches.Creates == 0 ? 1 : 0;
        touches.Add(entry, sequence, create);
    }

    private static void Answered(Dictionary<string, PendingTouches> index, string name, bool create, ref int createdNames)
    {
        ref var touches = ref CollectionsMarshal.GetValueRefOrNullRef(index, name);
        var gone = touches.RemoveOldest(create);
        createdNames -= create && touches.Creates == 0 ? 1 : 0;
        if (gone)
        {
            index.Remove(name);
        }
    }
}
