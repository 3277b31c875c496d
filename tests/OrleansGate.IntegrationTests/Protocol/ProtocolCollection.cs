using OrleansGate.IntegrationTests.Fixtures;

namespace OrleansGate.IntegrationTests.Protocol;

/// <summary>
/// Protocol tests get their own PostgreSQL and cluster: they start extra edge nodes and must not depend
/// on grain state left behind by other collections' multi-silo tests.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ProtocolCollection : ICollectionFixture<GatewayFixture>
{
    public const string Name = "protocol";
}
