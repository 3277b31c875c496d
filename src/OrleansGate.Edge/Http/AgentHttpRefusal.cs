namespace OrleansGate.Edge.Http;

/// <summary>A request the HTTP path refuses before any decision of the policy: the status and the reason the agent sees.</summary>
public sealed class AgentHttpRefusal(int status, string reason) : Exception(reason)
{
    public int Status { get; } = status;
}
