namespace OrleansGate.Edge.Postgres;

/// <summary>CancelRequest: routed by <see cref="CancelRouter"/> to the edge that issued the key, wherever it landed.</summary>
public sealed partial class PostgresSession
{
    private Task ForwardCancelAsync(int processId, int secretKey) => _services.Cancels.CancelAsync(processId, secretKey, ClientAddress);
}
