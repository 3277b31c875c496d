namespace OrleansGate.IntegrationTests.Storage;

[GenerateSerializer]
public sealed class ProbeState
{
    [Id(0)]
    public int Count { get; set; }
}
