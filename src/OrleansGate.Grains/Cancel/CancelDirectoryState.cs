namespace OrleansGate.Grains.Cancel;

[GenerateSerializer]
public sealed class CancelDirectoryState
{
    /// <summary>Slot → the edge that holds it, its forwarder and when it last registered.</summary>
    [Id(0)] public Dictionary<int, CancelSlotOwner> Slots { get; set; } = [];
}

[GenerateSerializer, Immutable]
public sealed record CancelSlotOwner(
    [property: Id(0)] string EdgeName,
    [property: Id(1)] ICancelForwarder Forwarder,
    [property: Id(2)] DateTimeOffset RegisteredAt);
