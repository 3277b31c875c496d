namespace OrleansGate.Model;

/// <summary>The policy version a silo's cache reported holding (by a push it took, or its periodic check), and when.</summary>
[GenerateSerializer, Immutable]
public sealed record SiloPolicyVersion(
    [property: Id(0)] string Silo,
    [property: Id(1)] long Version,
    [property: Id(2)] DateTimeOffset At);
