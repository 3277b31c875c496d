using OrleansGate.IntegrationTests.Fixtures;

namespace OrleansGate.IntegrationTests.Identity;

/// <summary>
/// Tests that kill, freeze or cut off nodes get their own PostgreSQL and cluster: they wait tens of seconds for Orleans to
/// declare a process gone (so they run beside the other collections, not in a queue with them), and a silo killed with
/// SIGKILL must leave no grain of another collection's tests behind.
/// </summary>
[CollectionDefinition(Name)]
public sealed class DeadEdgeCollection : ICollectionFixture<GatewayFixture>
{
    public const string Name = "dead-edge";
}
