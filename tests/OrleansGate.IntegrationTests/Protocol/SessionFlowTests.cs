using System.Diagnostics;
using System.Text;
using Npgsql;
using OrleansGate.IntegrationTests.Fixtures;

namespace OrleansGate.IntegrationTests.Protocol;

/// <summary>A whole session fed one byte per TCP write, and a session ended by Terminate.</summary>
[Collection(ProtocolSuiteCollection.Name)]
public sealed class SessionFlowTests(ProtocolSuiteFixture fixture)
{
    [Fact]
    public async Task A_whole_session_sent_one_byte_per_TCP_write_gets_the_same_answers()
    {
        var token = await fixture.TokenAsync();
        await using var client = await WireClient.ConnectAsync(fixture.Node.Settings.PostgresPort);

        await client.SendOneByteAtATimeAsync(Wire.Startup("user", GatewaySettings.AgentClientId, "database", GatewaySettings.TargetName));
        Assert.Equal('R', (await client.ReadAsync()).Code);
        await client.SendOneByteAtATimeAsync(Wire.Message('p', Wire.CString(token)));
        Assert.Equal('Z', (await client.ReadUntilReadyAsync())[^1].Code);

        await client.SendOneByteAtATimeAsync(Wire.Message('Q', Wire.CString("SELECT name FROM customers WHERE id = 1")));
        var simple = await client.ReadUntilReadyAsync();
        Assert.Equal("TDCZ", Codes(simple));
        Assert.Contains("Ada Lovelace", Encoding.UTF8.GetString(simple[1].Payload), StringComparison.Ordinal);

        // Extended protocol, pipelined, with a parameter; still one byte per write.
        await client.SendOneByteAtATimeAsync([
            .. Wire.Message('P', Wire.CString("by_id"), Wire.CString("SELECT name FROM customers WHERE id = $1"), Wire.Int16(1), Wire.Int32(23)),
            .. Wire.Message('B', Wire.CString(""), Wire.CString("by_id"), Wire.Int16(0), Wire.Int16(1), Wire.Int32(1), "2"u8.ToArray(), Wire.Int16(0)),
            .. Wire.Message('D', [(byte)'P'], Wire.CString("")),
            .. Wire.Message('E', Wire.CString(""), Wire.Int32(0)),
            .. Wire.Message('S'),
        ]);
        var extended = await client.ReadUntilReadyAsync();
        Assert.Equal("12TDCZ", Codes(extended));

        await client.SendOneByteAtATimeAsync(Wire.Message('X'));
        Assert.Equal('\0', (await client.ReadAsync()).Code);
    }

    [Fact]
    public async Task Terminate_ends_the_upstream_backend_and_is_audited_as_the_close_reason()
    {
        var before = await MaxAuditSeqAsync();
        var marker = "terminate-" + Guid.NewGuid().ToString("N")[..8];
        await using (var client = await WireClient.ConnectAsync(fixture.Node.Settings.PostgresPort))
        {
            await client.SendAsync(Wire.Startup("user", GatewaySettings.AgentClientId, "database", GatewaySettings.TargetName, "application_name", marker));
            Assert.Equal('R', (await client.ReadAsync()).Code);
            await client.SendAsync(Wire.Message('p', Wire.CString(await fixture.TokenAsync())));
            Assert.Equal('Z', (await client.ReadUntilReadyAsync())[^1].Code);
            Assert.Equal(1, await UpstreamBackendsAsync(marker));

            await client.SendAsync(Wire.Message('X'));
            Assert.Equal('\0', (await client.ReadAsync()).Code); // closed by the gateway, nothing sent
        }

        // The gateway passed the Terminate on: the target's backend goes away (polled, as a monitoring client would).
        var deadline = Stopwatch.StartNew();
        while (await UpstreamBackendsAsync(marker) != 0)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(20), "the upstream backend outlived the client's Terminate");
        }

        await using var state = new NpgsqlConnection(fixture.Gateway.Settings.StateConnectionString);
        await state.OpenAsync();
        // This session's: the one that logged in after the mark (an earlier test's logout may land after it too).
        await using var logout = new NpgsqlCommand(
            "SELECT reason FROM orleansgate_audit WHERE seq > $1 AND kind = 'Logout' AND session_id IN (SELECT session_id FROM orleansgate_audit WHERE seq > $1 AND kind = 'Login')",
            state)
        {
            Parameters = { new NpgsqlParameter<long> { TypedValue = before } },
        };
        string? reason;
        while ((reason = (string?)await logout.ExecuteScalarAsync()) is null)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(20), "the session's logout record never arrived");
        }

        Assert.Equal("client sent Terminate", reason);
    }

    private static string Codes(List<(char Code, byte[] Payload)> messages) => new([.. messages.Select(m => m.Code)]);

    private async Task<long> MaxAuditSeqAsync()
    {
        await using var state = new NpgsqlConnection(fixture.Gateway.Settings.StateConnectionString);
        await state.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT coalesce(max(seq), 0) FROM orleansgate_audit", state);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private async Task<long> UpstreamBackendsAsync(string applicationName)
    {
        await using var connection = new NpgsqlConnection(fixture.Gateway.Postgres.ConnectionString("demo"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", connection)
        {
            Parameters = { new() { Value = applicationName } },
        };
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
