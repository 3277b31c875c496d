namespace OrleansGate.IntegrationTests.Approvals;

[CollectionDefinition(Name)]
public sealed class ApprovalCollection : ICollectionFixture<ApprovalFixture>
{
    public const string Name = "approvals";
}
