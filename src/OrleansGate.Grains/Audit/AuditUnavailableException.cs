namespace OrleansGate.Grains.Audit;

/// <summary>The audit store could not make a record durable; the request it belongs to must be refused.</summary>
public sealed class AuditUnavailableException : Exception
{
    public AuditUnavailableException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}
