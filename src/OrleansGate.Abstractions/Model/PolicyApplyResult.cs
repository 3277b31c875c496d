namespace OrleansGate.Model;

/// <summary>What <c>IPolicyGrain.Apply</c> did.</summary>
[GenerateSerializer, Immutable]
public sealed record PolicyApplyResult(
    [property: Id(0)] PolicyApplyOutcome Outcome,
    [property: Id(1)] long Version,
    [property: Id(2)] string Label,
    [property: Id(3)] string? Error,
    [property: Id(4)] int SubscribersNotified,
    [property: Id(5)] int SubscribersFailed);
