using System.Text;
using Npgsql;
using OrleansGate.IntegrationTests.Fixtures;

namespace OrleansGate.IntegrationTests.Protocol;

/// <summary>
/// The upstream is untrusted input too: a target that breaks the protocol gets its one session closed with a
/// clear FATAL 08P01, while other sessions — to the same stand-in and to a real PostgreSQL — carry on.
/// </summary>
[Collection(ProtocolSuiteCollection.Name)]
public sealed class UntrustedUpstreamTests(ProtocolSuiteFixture fixture)
{
    [Theory]
    [InlineData(MisbehavingUpstreamStandIn.ErrorWithoutSqlState, "no SQLSTATE")]
    [InlineData(MisbehavingUpstreamStandIn.NegativeFieldLength, "column length -7")]
    [InlineData(MisbehavingUpstreamStandIn.OversizeFieldLength, "exceeds the message length")]
    [InlineData(MisbehavingUpstreamStandIn.AuthenticationMidSession, "unexpected message type 0x52")]
    [InlineData(MisbehavingUpstreamStandIn.BackendKeyMidSession, "unexpected message type 0x4B")]
    [InlineData(MisbehavingUpstreamStandIn.UnknownMessageType, "unexpected message type 0x7E")]
    [InlineData(MisbehavingUpstreamStandIn.OversizeMessage, "invalid message length")]
    [InlineData(MisbehavingUpstreamStandIn.BadReadyStatus, "unknown transaction status")]
    [InlineData(MisbehavingUpstreamStandIn.RowDescriptionOverrun, "invalid RowDescription message")]
    [InlineData(MisbehavingUpstreamStandIn.CommandCompleteTrailing, "invalid CommandComplete message: 9 unexpected bytes at the end")]
    [InlineData(MisbehavingUpstreamStandIn.CopyOutBadFormat, "invalid CopyResponse message: unknown format code 9")]
    [InlineData(MisbehavingUpstreamStandIn.UnrequestedParseComplete, "the target confirmed a Parse the gateway did not send")]
    [InlineData(MisbehavingUpstreamStandIn.CopyInAfterReady, "a COPY response that answers no Query or Execute")]
    public async Task Misbehaving_target_closes_only_its_own_session_with_08P01(string behaviour, string reason)
    {
        var token = await fixture.TokenAsync();
        var port = fixture.LimitsEdge.Settings.PostgresPort;

        // Bystanders opened first: a session to the same stand-in and one to the real PostgreSQL on the same edge.
        await using var bystander = await WireClient.LoginAsync(port, token, ProtocolSuiteFixture.StandInTarget);
        await using var real = new NpgsqlConnection(fixture.LimitsEdge.ConnectionString(token));
        await real.OpenAsync();

        await using (var victim = await WireClient.LoginAsync(port, token, ProtocolSuiteFixture.StandInTarget))
        {
            // A well-formed answer first, so the failure below is the misbehaviour and not the stand-in.
            Assert.Equal("ok", await QueryValueAsync(victim, "SELECT 'warm-up'"));

            await victim.SendAsync(Wire.Message('Q', Wire.CString($"SELECT '{behaviour}'")));
            var error = await victim.ReadErrorAsync();
            Assert.NotNull(error);
            Assert.Equal("FATAL", error['S']);
            Assert.Equal("08P01", error['C']);
            Assert.Contains("the target sent an invalid message", error['M'], StringComparison.Ordinal);
            Assert.Contains(reason, error['M'], StringComparison.Ordinal);
            Assert.Equal('\0', (await victim.ReadAsync()).Code);
        }

        Assert.Equal("ok", await QueryValueAsync(bystander, "SELECT 'bystander'"));
        await using var command = new NpgsqlCommand("SELECT name FROM customers WHERE id = 1", real);
        Assert.Equal("Ada Lovelace", await command.ExecuteScalarAsync());
    }

    private static async Task<string> QueryValueAsync(WireClient client, string sql)
    {
        await client.SendAsync(Wire.Message('Q', Wire.CString(sql)));
        var answer = await client.ReadUntilReadyAsync();
        var row = Assert.Single(answer, m => m.Code == 'D');
        Assert.Equal('Z', answer[^1].Code);

        // Int16 column count, Int32 length, then the value.
        return Encoding.UTF8.GetString(row.Payload, 6, row.Payload.Length - 6);
    }
}
