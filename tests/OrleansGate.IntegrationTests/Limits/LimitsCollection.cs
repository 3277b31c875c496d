using OrleansGate.IntegrationTests.Fixtures;

namespace OrleansGate.IntegrationTests.Limits;

/// <summary>
/// The cluster-wide limit tests run three nodes of a cluster of their own for a few seconds each; their own PostgreSQL
/// and collection let them run beside the other collections rather than in a queue with them.
/// </summary>
[CollectionDefinition(Name)]
public sealed class LimitsCollection : ICollectionFixture<GatewayFixture>
{
    public const string Name = "limits";
}
