using Npgsql;
using NpgsqlTypes;

namespace OrleansGate.IntegrationTests.Protocol;

/// <summary>Npgsql's extended-protocol features through the gateway, TLS off and on.</summary>
[Collection(ProtocolSuiteCollection.Name)]
public sealed class NpgsqlCompatibilityTests(ProtocolSuiteFixture fixture)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Explicitly_prepared_statement_runs_with_each_parameter(bool tls)
    {
        await using var connection = await OpenAsync(tls);
        await using var command = new NpgsqlCommand("SELECT name FROM customers WHERE id = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Integer });
        await command.PrepareAsync();
        Assert.True(command.IsPrepared);

        var names = new List<string?>();
        foreach (var id in new[] { 1, 2, 3, 1 })
        {
            command.Parameters[0].Value = id;
            names.Add((string?)await command.ExecuteScalarAsync());
        }

        Assert.Equal(["Ada Lovelace", "Grace Hopper", "Edsger Dijkstra", "Ada Lovelace"], names);
        Assert.True(await PreparedOnTheTargetAsync(connection) >= 1);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Auto_prepare_prepares_a_repeated_statement_on_the_target(bool tls)
    {
        await using var connection = await OpenAsync(tls, "Max Auto Prepare=10;Auto Prepare Min Usages=2;");
        for (var i = 0; i < 5; i++)
        {
            await using var command = new NpgsqlCommand("SELECT count(*) FROM orders WHERE amount > $1", connection) { Parameters = { new() { Value = 10m } } };
            Assert.Equal(3L, await command.ExecuteScalarAsync());
        }

        // Npgsql switched to a named server-side statement after the second use.
        Assert.True(await PreparedOnTheTargetAsync(connection) >= 1);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Batch_answers_each_command_in_order(bool tls)
    {
        await using var connection = await OpenAsync(tls);
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new("SELECT count(*) FROM customers"),
                new("SELECT name FROM customers WHERE id = $1") { Parameters = { new() { Value = 2 } } },
                new("SELECT status FROM orders WHERE id = $1") { Parameters = { new() { Value = 2 } } },
            },
        };
        await using var reader = await batch.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(3L, reader.GetInt64(0));
        Assert.True(await reader.NextResultAsync());
        Assert.True(await reader.ReadAsync());
        Assert.Equal("Grace Hopper", reader.GetString(0));
        Assert.True(await reader.NextResultAsync());
        Assert.True(await reader.ReadAsync());
        Assert.Equal("shipped", reader.GetString(0));
        Assert.False(await reader.NextResultAsync());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Binary_copy_imports_rows_and_exports_them_unchanged(bool tls)
    {
        var first = tls ? 4000 : 3000;
        await using var connection = await OpenAsync(tls);
        await using (var delete = new NpgsqlCommand($"DELETE FROM copy_target WHERE id BETWEEN {first} AND {first + 999}", connection))
        {
            await delete.ExecuteNonQueryAsync();
        }

        var rows = Enumerable.Range(first, 200).Select(i => (Id: i, Note: i % 7 == 0 ? null : $"binary \u00e9 {i}", Amount: i / 4m)).ToList();
        await using (var import = await connection.BeginBinaryImportAsync("COPY copy_target (id, note, amount) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var (id, note, amount) in rows)
            {
                await import.StartRowAsync();
                await import.WriteAsync(id, NpgsqlDbType.Integer);
                await import.WriteAsync(note, NpgsqlDbType.Text);
                await import.WriteAsync(amount, NpgsqlDbType.Numeric);
            }

            Assert.Equal(200UL, await import.CompleteAsync());
        }

        var exported = new List<(int, string?, decimal)>();
        await using (var export = await connection.BeginBinaryExportAsync(
            $"COPY (SELECT id, note, amount FROM copy_target WHERE id BETWEEN {first} AND {first + 999} ORDER BY id) TO STDOUT (FORMAT BINARY)"))
        {
            while (await export.StartRowAsync() != -1)
            {
                var id = await export.ReadAsync<int>(NpgsqlDbType.Integer);
                var note = export.IsNull ? null : await export.ReadAsync<string>(NpgsqlDbType.Text);
                if (note is null)
                {
                    await export.SkipAsync();
                }

                exported.Add((id, note, await export.ReadAsync<decimal>(NpgsqlDbType.Numeric)));
            }
        }

        Assert.Equal(rows, exported);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Notice_and_parameter_status_are_relayed(bool tls)
    {
        await using var connection = await OpenAsync(tls);
        var notices = new List<string>();
        connection.Notice += (_, e) => notices.Add(e.Notice.MessageText);

        await using (var command = new NpgsqlCommand("DO $$ BEGIN RAISE NOTICE 'hello from the target'; END $$", connection))
        {
            await command.ExecuteNonQueryAsync();
        }

        await using (var command = new NpgsqlCommand("SET application_name = 'compat-check'", connection))
        {
            await command.ExecuteNonQueryAsync();
        }

        Assert.Contains("hello from the target", notices);
        Assert.Equal("compat-check", connection.PostgresParameters["application_name"]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Notification_from_another_session_is_relayed(bool tls)
    {
        var channel = tls ? "jobs_tls" : "jobs_plain";
        await using var listener = await OpenAsync(tls);
        var received = new TaskCompletionSource<(string Channel, string Payload)>(TaskCreationOptions.RunContinuationsAsynchronously);
        listener.Notification += (_, e) => received.TrySetResult((e.Channel, e.Payload));
        await using (var listen = new NpgsqlCommand($"LISTEN {channel}", listener))
        {
            await listen.ExecuteNonQueryAsync();
        }

        await using var notifier = await OpenAsync(tls);
        await using (var notify = new NpgsqlCommand($"NOTIFY {channel}, 'job 42 is ready'", notifier))
        {
            await notify.ExecuteNonQueryAsync();
        }

        // Npgsql reads the asynchronous NotificationResponse while waiting on the idle connection.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await listener.WaitAsync(timeout.Token);
        Assert.Equal((channel, "job 42 is ready"), await received.Task.WaitAsync(timeout.Token));
    }

    [Fact]
    public async Task Notification_of_the_session_itself_carries_the_process_id_the_client_was_given()
    {
        await using var listener = await OpenAsync(tls: false);
        var received = new List<int>();
        listener.Notification += (_, e) => received.Add(e.PID);
        await using (var listen = new NpgsqlCommand("LISTEN own_pid; NOTIFY own_pid, 'mine'", listener))
        {
            // The target sends the session's own notification before ReadyForQuery: Npgsql has it when this returns.
            await listen.ExecuteNonQueryAsync();
        }

        await using var notifier = await OpenAsync(tls: false);
        int notifierTargetPid;
        await using (var notify = new NpgsqlCommand("SELECT pg_backend_pid(); NOTIFY own_pid, 'theirs'", notifier))
        {
            notifierTargetPid = (int)(await notify.ExecuteScalarAsync())!;
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (received.Count < 2)
        {
            await listener.WaitAsync(timeout.Token);
        }

        // Its own: the gateway-issued id (BackendKeyData), not the target's. Another session's: the target's id, as sent.
        Assert.Equal(listener.ProcessID, received[0]);
        Assert.NotEqual(notifierTargetPid, listener.ProcessID);
        Assert.Equal(notifierTargetPid, received[1]);
    }

    private async Task<NpgsqlConnection> OpenAsync(bool tls, string extra = "")
    {
        var connection = new NpgsqlConnection(fixture.NpgsqlConnectionString(tls, await fixture.TokenAsync(), extra));
        await connection.OpenAsync();
        return connection;
    }

    private static async Task<long> PreparedOnTheTargetAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_prepared_statements", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
