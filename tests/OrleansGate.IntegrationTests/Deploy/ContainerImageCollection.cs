namespace OrleansGate.IntegrationTests.Deploy;

/// <summary>The image tests, alone: an image build takes both cores for minutes and would skew other tests' timing.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ContainerImageCollection
{
    public const string Name = "container-image";
}
