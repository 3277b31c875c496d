namespace OrleansGate.Model;

/// <summary>The agent grain's answer to a new session: admitted, or refused with a reason the agent may see.</summary>
[GenerateSerializer, Immutable]
public sealed record SessionRegistration(
    [property: Id(0)] bool Admitted,
    [property: Id(1)] string? RefusalReason,
    [property: Id(2)] long TotalLogins);
