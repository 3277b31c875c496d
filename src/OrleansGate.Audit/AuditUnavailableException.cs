namespace OrleansGate.Audit;

/// <summary>The audit store could not make a record durable; the request it belongs to must be refused.</summary>
[GenerateSerializer]
public sealed class AuditUnavailableException : Exception
{
    public AuditUnavailableException(string message, Exception? inner = null) : base(message, inner)
    {
    }

    /// <summary>The records may have been written after all (the answer was lost and could not be settled yet).</summary>
    [Id(0)] public bool OutcomeUnknown { get; init; }

    /// <summary>Nothing was written because another record holds the place in the chain: the chain's head is stale.</summary>
    [Id(1)] public bool StaleHead { get; init; }
}
