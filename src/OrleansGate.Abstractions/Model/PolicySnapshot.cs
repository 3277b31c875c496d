namespace OrleansGate.Model;

/// <summary>One stored policy version: the validated YAML text and where it came from.</summary>
[GenerateSerializer, Immutable]
public sealed record PolicySnapshot(
    [property: Id(0)] long Version,
    [property: Id(1)] string Label,
    [property: Id(2)] string Yaml,
    [property: Id(3)] string Source,
    [property: Id(4)] string Sha256,
    [property: Id(5)] DateTimeOffset AppliedAt);
