namespace OrleansGate.Grains.Agents;

/// <summary>
/// A revocation (or its lifting) that took effect and still awaits its audit record. Persisted with the
/// revocation itself, so the record is written once the audit store answers even if this silo dies first.
/// </summary>
[GenerateSerializer]
public sealed class AgentAuditEvent
{
    [Id(0)] public DateTimeOffset At { get; set; }

    /// <summary><c>revoke</c>, <c>unrevoke</c> or <c>revoke-token</c>.</summary>
    [Id(1)] public string Action { get; set; } = "";

    [Id(2)] public string Reason { get; set; } = "";

    [Id(3)] public string? TokenId { get; set; }

    /// <summary>Live sessions the edges closed; null until known (or when the silo died before they answered).</summary>
    [Id(4)] public int? SessionsClosed { get; set; }
}
