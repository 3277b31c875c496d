using Npgsql;
using OrleansGate.IntegrationTests.Fixtures;

namespace OrleansGate.IntegrationTests.Policy;

/// <summary>
/// Rules scoped by token claims and by issuer, through real sessions: the development IdP puts a custom
/// <c>team</c> claim in each test agent's token (agent-a: payments, agent-b: analytics).
/// </summary>
[Collection(PolicyCollection.Name)]
public sealed class ClaimsPolicyTests(PolicyFixture fixture)
{
    private const string Read = "SELECT count(*) FROM orders";

    [Fact]
    public async Task Deny_rule_scoped_by_a_claim_refuses_only_the_agent_whose_token_has_it()
    {
        await fixture.ApplyAsync($$"""
            version: tests-claims-deny
            rules:
              - name: developers-read
                effect: allow
                reason: developers may read
                match: { groups: [developers], kinds: [read] }
              - name: payments-no-orders
                effect: deny
                reason: the payments team reads orders through its own service
                match: { claims: { {{PolicyFixture.TeamClaim}}: {{PolicyFixture.AgentTeam}} }, relations: [orders] }
            """);
        try
        {
            await using var payments = await OpenAsync(fixture.Node, GatewaySettings.AgentClientId);
            await using var analytics = await OpenAsync(fixture.OtherNode, GatewaySettings.OtherClientId);

            var denied = await Assert.ThrowsAsync<PostgresException>(() => new NpgsqlCommand(Read, payments).ExecuteScalarAsync());
            Assert.Equal("42501", denied.SqlState);
            Assert.Equal("statement denied by rule \"payments-no-orders\": the payments team reads orders through its own service", denied.MessageText);
            Assert.NotNull(await new NpgsqlCommand(Read, analytics).ExecuteScalarAsync());
            Assert.Equal(1, await new NpgsqlCommand("SELECT 1", payments).ExecuteScalarAsync());
        }
        finally
        {
            await fixture.ApplyAsync(PolicyFixture.ReadOnlyPolicy);
        }
    }

    [Fact]
    public async Task Allow_rule_scoped_by_a_claim_allows_only_the_agent_whose_token_has_it()
    {
        await fixture.ApplyAsync($$"""
            version: tests-claims-allow
            rules:
              - name: analytics-read
                effect: allow
                reason: the analytics team may read
                match: { claims: { {{PolicyFixture.TeamClaim}}: "analy*" }, kinds: [read] }
            """);
        try
        {
            await using var payments = await OpenAsync(fixture.OtherNode, GatewaySettings.AgentClientId);
            await using var analytics = await OpenAsync(fixture.Node, GatewaySettings.OtherClientId);

            Assert.NotNull(await new NpgsqlCommand(Read, analytics).ExecuteScalarAsync());
            var denied = await Assert.ThrowsAsync<PostgresException>(() => new NpgsqlCommand(Read, payments).ExecuteScalarAsync());
            Assert.Equal("42501", denied.SqlState);
            Assert.Equal("statement denied by rule \"default-deny\": no policy rule allows this statement", denied.MessageText);
        }
        finally
        {
            await fixture.ApplyAsync(PolicyFixture.ReadOnlyPolicy);
        }
    }

    [Fact]
    public async Task Issuers_match_key_allows_only_tokens_of_the_named_issuer()
    {
        await fixture.ApplyAsync($$"""
            version: tests-issuers
            rules:
              - name: other-issuer-read
                effect: allow
                reason: agents of another IdP may read
                match: { issuers: ["https://idp.example.com/*"], subjects: [{{GatewaySettings.AgentClientId}}], kinds: [read] }
              - name: our-issuer-select-one
                effect: allow
                reason: our agents may only run constant queries
                match: { issuers: ["{{fixture.Node.Settings.Issuer}}"], subjects: [{{GatewaySettings.AgentClientId}}], kinds: [read], relations: [none] }
            """);
        try
        {
            await using var session = await OpenAsync(fixture.Node, GatewaySettings.AgentClientId);

            Assert.Equal(1, await new NpgsqlCommand("SELECT 1", session).ExecuteScalarAsync());
            var denied = await Assert.ThrowsAsync<PostgresException>(() => new NpgsqlCommand(Read, session).ExecuteScalarAsync());
            Assert.Equal("42501", denied.SqlState);
            Assert.Equal("statement denied by rule \"default-deny\": no policy rule allows this statement", denied.MessageText);
        }
        finally
        {
            await fixture.ApplyAsync(PolicyFixture.ReadOnlyPolicy);
        }
    }

    private static async Task<NpgsqlConnection> OpenAsync(GatewayNode node, string clientId)
    {
        // No type loading: the policies here deny the catalog reads Npgsql would send at open to the agent they refuse.
        var connection = new NpgsqlConnection(node.ConnectionString(await node.GetTokenAsync(clientId), user: clientId) + ";Server Compatibility Mode=NoTypeLoading");
        await connection.OpenAsync();
        return connection;
    }
}
