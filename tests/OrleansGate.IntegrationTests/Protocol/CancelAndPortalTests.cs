using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using Npgsql;

namespace OrleansGate.IntegrationTests.Protocol;

/// <summary>CancelRequest with the gateway's own keys, and the extended protocol's suspended portals and pipelining.</summary>
[Collection(ProtocolSuiteCollection.Name)]
public sealed class CancelAndPortalTests(ProtocolSuiteFixture fixture)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Npgsql_cancel_stops_pg_sleep_with_57014_promptly(bool tls)
    {
        await using var connection = new NpgsqlConnection(fixture.NpgsqlConnectionString(tls, await fixture.TokenAsync()));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT pg_sleep(30)", connection);
        var started = Stopwatch.StartNew();
        var running = command.ExecuteNonQueryAsync();

        // Cancel only once the statement is running on the target, seen from a second session.
        await WaitUntilSleepingAsync();
        command.Cancel();

        // Npgsql reports a cancelled command as OperationCanceledException wrapping the target's 57014.
        var cancelled = await Assert.ThrowsAsync<OperationCanceledException>(() => running);
        var error = Assert.IsType<PostgresException>(cancelled.InnerException);
        Assert.Equal("57014", error.SqlState);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(20), $"cancel took {started.Elapsed}");

        // The session survives its cancelled statement.
        await using var again = new NpgsqlCommand("SELECT 1", connection);
        Assert.Equal(1, await again.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Cancel_with_a_key_the_gateway_never_issued_or_another_sessions_key_is_ignored()
    {
        var token = await fixture.TokenAsync();
        var port = fixture.Node.Settings.PostgresPort;
        await using var other = await WireClient.LoginAsync(port, token);
        await using var sleeper = await WireClient.LoginAsync(port, token);

        await sleeper.SendAsync(Wire.Message('Q', Wire.CString("SELECT pg_sleep(1.5), 'slept'")));
        await WaitUntilSleepingAsync();

        // Never issued; the sleeper's process id with another secret; the other session's valid key.
        await WireClient.SendCancelAsync(port, 0x7FFF_0001, 12345);
        await WireClient.SendCancelAsync(port, sleeper.CancelKey.ProcessId, sleeper.CancelKey.SecretKey ^ 0x5A5A);
        await WireClient.SendCancelAsync(port, other.CancelKey.ProcessId, other.CancelKey.SecretKey);

        var answer = await sleeper.ReadUntilReadyAsync();
        Assert.DoesNotContain(answer, m => m.Code == 'E');
        Assert.Contains(answer, m => m.Code == 'D' && Encoding.UTF8.GetString(m.Payload).Contains("slept", StringComparison.Ordinal));

        // The other session was idle, so its own key cancelled nothing there either.
        await other.SendAsync(Wire.Message('Q', Wire.CString("SELECT 'other ok'")));
        Assert.DoesNotContain(await other.ReadUntilReadyAsync(), m => m.Code == 'E');
    }

    [Fact]
    public async Task Plain_text_CancelRequest_to_the_TLS_only_edge_cancels_a_TLS_session_as_libpq_16_sends_it()
    {
        var port = fixture.TlsEdge.Settings.PostgresPort;
        await using var sleeper = await WireClient.LoginAsync(port, await fixture.TokenAsync(), tls: true);
        await sleeper.SendAsync(Wire.Message('Q', Wire.CString("SELECT pg_sleep(30), 'tls sleeper'")));
        await WaitUntilSleepingAsync();

        var started = Stopwatch.StartNew();
        await WireClient.SendCancelAsync(port, sleeper.CancelKey.ProcessId, sleeper.CancelKey.SecretKey); // no SSLRequest first
        var answer = await sleeper.ReadUntilReadyAsync();
        Assert.Equal("57014", Wire.Fields(Assert.Single(answer, m => m.Code == 'E').Payload)['C']);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(20), $"cancel took {started.Elapsed}");
    }

    [Fact]
    public async Task Execute_with_a_row_limit_suspends_the_portal_and_resumes_it()
    {
        await using var client = await WireClient.LoginAsync(fixture.Node.Settings.PostgresPort, await fixture.TokenAsync());

        // Pipelined in one write: a named statement and portal, three Executes of 2 rows, then Sync.
        await client.SendAsync([
            .. Wire.Message('P', Wire.CString("five"), Wire.CString("SELECT g FROM generate_series(1, 5) g"), Wire.Int16(0)),
            .. Wire.Message('B', Wire.CString("cursor"), Wire.CString("five"), Wire.Int16(0), Wire.Int16(0), Wire.Int16(0)),
            .. Wire.Message('E', Wire.CString("cursor"), Wire.Int32(2)),
            .. Wire.Message('E', Wire.CString("cursor"), Wire.Int32(2)),
            .. Wire.Message('E', Wire.CString("cursor"), Wire.Int32(2)),
            .. Wire.Message('C', [(byte)'P'], Wire.CString("cursor")),
            .. Wire.Message('C', [(byte)'S'], Wire.CString("five")),
            .. Wire.Message('S'),
        ]);

        var answer = await client.ReadUntilReadyAsync();
        var codes = new string(answer.Select(m => m.Code).ToArray());
        Assert.Equal("12DDsDDsDC33Z", codes);
        var values = answer.Where(m => m.Code == 'D').Select(m => Encoding.UTF8.GetString(m.Payload, 6, m.Payload.Length - 6));
        Assert.Equal(["1", "2", "3", "4", "5"], values);
    }

    [Fact]
    public async Task Flush_delivers_answers_before_Sync_and_an_error_skips_to_Sync()
    {
        await using var client = await WireClient.LoginAsync(fixture.Node.Settings.PostgresPort, await fixture.TokenAsync());
        await client.SendAsync([
            .. Wire.Message('P', Wire.CString(""), Wire.CString("SELECT 1/0"), Wire.Int16(0)),
            .. Wire.Message('H'),
        ]);
        Assert.Equal('1', (await client.ReadAsync()).Code);

        await client.SendAsync([
            .. Wire.Message('B', Wire.CString(""), Wire.CString(""), Wire.Int16(0), Wire.Int16(0), Wire.Int16(0)),
            .. Wire.Message('E', Wire.CString(""), Wire.Int32(0)),
            .. Wire.Message('P', Wire.CString(""), Wire.CString("SELECT 'skipped'"), Wire.Int16(0)),
            .. Wire.Message('S'),
            .. Wire.Message('Q', Wire.CString("SELECT 'after sync'")),
        ]);
        // The unnamed statement is planned at Bind, where 1/0 fails; the skipped Parse gets no answer.
        var afterError = await client.ReadUntilReadyAsync();
        Assert.Equal("EZ", new string(afterError.Select(m => m.Code).ToArray()));
        Assert.Equal("22012", Wire.Fields(afterError[0].Payload)['C']);
        var next = await client.ReadUntilReadyAsync();
        Assert.Contains(next, m => m.Code == 'D' && Encoding.UTF8.GetString(m.Payload).Contains("after sync", StringComparison.Ordinal));
    }

    /// <summary>Bounded polling of pg_stat_activity on the target itself, as a monitoring client would.</summary>
    private async Task WaitUntilSleepingAsync()
    {
        await using var connection = new NpgsqlConnection(fixture.Gateway.Postgres.ConnectionString("demo"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE 'SELECT pg_sleep%'", connection);
        var deadline = Stopwatch.StartNew();
        while ((long)(await command.ExecuteScalarAsync())! == 0)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(20), "the statement never started on the target");
        }
    }
}
