namespace OrleansGate.Edge.Postgres;

/// <summary>
/// What the messages awaiting the target's answer that touch one name add up to: how many there are (and how many
/// of them create it), the latest of them (with its place in the queue), and how many are in the latest one's cycle.
/// The target answers in order, so the one answered is always the oldest, and any not in the latest's cycle are in
/// an earlier one.
/// </summary>
internal struct PendingTouches
{
    private int _inLatestCycle;

    /// <summary>Messages of this name still awaiting the target's answer.</summary>
    public int Pending { get; private set; }

    /// <summary>How many of them are a Parse or Bind (the name is being created).</summary>
    public int Creates { get; private set; }

    /// <summary>The latest of them (meaningful while <see cref="Pending"/> is positive).</summary>
    public PendingExtended Latest { get; private set; }

    /// <summary>The latest's place among every message ever queued, to tell which of two names' messages came last.</summary>
    public long LatestSequence { get; private set; }

    public void Add(in PendingExtended entry, long sequence, bool create)
    {
        Creates += create ? 1 : 0;
        _inLatestCycle = Pending > 0 && Latest.Cycle == entry.Cycle ? _inLatestCycle + 1 : 1;
        Pending++;
        Latest = entry;
        LatestSequence = sequence;
    }

    /// <summary>The oldest was answered; true when none is left.</summary>
    public bool RemoveOldest(bool create)
    {
        Creates -= create ? 1 : 0;
        Pending--;
        _inLatestCycle = Math.Min(_inLatestCycle, Pending); // kept exact: once all earlier ones are gone, the answered one was of the latest cycle
        if (Pending == 0)
        {
            Latest = default; // no statement kept alive by a forgotten entry
        }

        return Pending == 0;
    }

    /// <summary>Whether one of them is in a cycle before <paramref name="cycle"/> (the one being sent).</summary>
    public readonly bool HasEarlierCycle(long cycle) => Pending > 0 && (Latest.Cycle != cycle || Pending > _inLatestCycle);
}
