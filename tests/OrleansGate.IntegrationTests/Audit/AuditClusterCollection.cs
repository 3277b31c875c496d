namespace OrleansGate.IntegrationTests.Audit;

[CollectionDefinition(Name)]
public sealed class AuditClusterCollection : ICollectionFixture<AuditClusterFixture>
{
    public const string Name = "audit-cluster";
}
