namespace OrleansGate.Grains.Audit;

/// <summary>The audit store could not make a record durable; the request it belongs to must be refused.</summary>
public sealed class AuditUnavailableException : Exception
{
    public AuditUnavailableException(string message, Exception? inner = null) : base(message, inner)
    {
    }

    /// <summary>The records may have been written after all (the answer was lost and could not be settled yet).</summary>
    public bool OutcomeUnknown { get; init; }

    /// <summary>Nothing was written because another record holds the place in the chain: the chain's head is stale.</summary>
    public bool StaleHead { get; init; }
}
