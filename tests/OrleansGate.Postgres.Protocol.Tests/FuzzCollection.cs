namespace OrleansGate.Postgres.Protocol.Tests;

/// <summary>The fuzz run measures the managed heap, so no other test may allocate while it runs.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FuzzCollection
{
    public const string Name = "fuzz";
}
