namespace OrleansGate.IntegrationTests.Protocol;

/// <summary>The malformed-input, upstream, compatibility and fuzz tests share one cluster with extra edge nodes.</summary>
// Not run in parallel with other collections: its fuzz and pgbench runs would skew their timing, and process-wide
// metrics (upstream dial counts) would see its connections.
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProtocolSuiteCollection : ICollectionFixture<ProtocolSuiteFixture>
{
    public const string Name = "protocol-suite";
}
