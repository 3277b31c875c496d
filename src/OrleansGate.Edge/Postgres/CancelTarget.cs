namespace OrleansGate.Edge.Postgres;

/// <summary>Where a cancel request for one session goes, and the secret the client must present.</summary>
public sealed record CancelTarget(int GatewaySecret, string Host, int Port, int UpstreamProcessId, int UpstreamSecretKey)
{
    /// <summary>The session's request that waits for an approval, if any: a cancel withdraws it.</summary>
    public WaitingRequest Waiting { get; } = new();
}
