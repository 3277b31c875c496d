using OrleansGate.Model;

namespace OrleansGate.Audit.Tests;

/// <summary>The session the chain tests' records belong to (chain id "s1").</summary>
internal static class TestSession
{
    public static readonly SessionInfo S1 = new(
        "s1", new AgentIdentity("https://idp.test", "agent", []), null, DateTimeOffset.UnixEpoch.AddDays(1), "demo", "postgres", "node", "127.0.0.1:1",
        DateTimeOffset.UnixEpoch);
}
