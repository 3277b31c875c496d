namespace OrleansGate.Model;

/// <summary>The agent grain's answer to a new session: admitted, or refused with a reason the agent may see and
/// the SQLSTATE of the refusal (28000; 53300 when the agent's session limit is reached).</summary>
[GenerateSerializer, Immutable]
public sealed record SessionRegistration(
    [property: Id(0)] bool Admitted,
    [property: Id(1)] string? RefusalReason,
    [property: Id(2)] long TotalLogins,
    [property: Id(3)] string RefusalSqlState = "28000");
