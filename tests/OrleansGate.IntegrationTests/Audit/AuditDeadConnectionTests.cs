using Npgsql;
using OrleansGate.Audit;
using OrleansGate.Audit.Signing;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.IntegrationTests.Infrastructure;

namespace OrleansGate.IntegrationTests.Audit;

/// <summary>
/// The writers' connections as the audit store sees them: pooled connections it ended (a restart while they sat idle)
/// cost no statement once it is back, and a batch whose answer was lost is ended before it is looked up, wherever it waits.
/// </summary>
[Collection(AuditClusterCollection.Name)]
public sealed class AuditDeadConnectionTests(AuditClusterFixture fixture)
{
    [Fact]
    public async Task Statements_after_the_audit_store_ended_every_writer_connection_are_written_once_not_refused()
    {
        var token = await fixture.Node.GetTokenAsync();
        await using var connection = new NpgsqlConnection(fixture.Node.ConnectionString(token) + ";Server Compatibility Mode=NoTypeLoading");
        await connection.OpenAsync();
        await using (var warm = new NpgsqlCommand("SELECT 1 AS dead_connection_before", connection))
        {
            Assert.Equal(1, await warm.ExecuteScalarAsync());
        }

        // What a restart does to the pool's idle connections, without the restart: each backend gets FATAL 57P01.
        await using (var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(fixture.AuditStore.ConnectionString()) { Pooling = false }.ConnectionString))
        {
            await admin.OpenAsync();
            await using var end = new NpgsqlCommand(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()", admin);
            end.Parameters.Add(new NpgsqlParameter<string> { TypedValue = PostgresAuditSink.ApplicationName });
            Assert.True((long)(await end.ExecuteScalarAsync())! >= 1, "no audit writer connection was open to end");
        }

        for (var i = 0; i < 3; i++)
        {
            await using var after = new NpgsqlCommand($"SELECT {i} AS dead_connection_after_{i}", connection);
            Assert.Equal(i, await after.ExecuteScalarAsync());
        }

        var counts = await fixture.StatementCountsAsync();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(1, counts.GetValueOrDefault($"SELECT $1 AS dead_connection_after_{i}"));
        }
    }

    [Fact]
    public async Task A_batch_whose_answer_was_lost_while_it_waited_at_its_writers_fence_is_ended_before_it_is_looked_up()
    {
        var key = AuditWriterFence.LockKey($"fence-wait-{Guid.NewGuid():N}");
        var unpooled = new NpgsqlConnectionStringBuilder(fixture.AuditConnectionString) { Pooling = false }.ConnectionString;

        // A sealer holds the writer's fence; the writer's batch waits at its first statement.
        await using var sealer = new NpgsqlConnection(unpooled);
        await sealer.OpenAsync();
        await using var sealing = await sealer.BeginTransactionAsync();
        await using (var exclusive = new NpgsqlCommand(AuditWriterFence.ExclusiveLockSql, sealer, sealing))
        {
            exclusive.Parameters.Add(new NpgsqlParameter<long> { TypedValue = key });
            await exclusive.ExecuteNonQueryAsync();
        }

        await using var batch = new NpgsqlConnection(unpooled);
        await batch.OpenAsync();
        await using var shared = new NpgsqlCommand(AuditWriterFence.SharedLockSql, batch);
        shared.Parameters.Add(new NpgsqlParameter<long> { TypedValue = key });
        var waiting = shared.ExecuteNonQueryAsync();

        await using var ender = new NpgsqlConnection(unpooled);
        await ender.OpenAsync();
        await Poll.UntilAsync(async () =>
        {
            await using var lockWait = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'", ender);
            lockWait.Parameters.Add(new NpgsqlParameter<int> { TypedValue = batch.ProcessID });
            return (long)(await lockWait.ExecuteScalarAsync())! == 1;
        }, "the batch waiting at its writer's fence");

        // The writer lost the answer here: its backend must be ended, or it would insert after the lookup said it had not.
        Assert.True(await AuditBackend.EndInsertAsync(ender, batch.ProcessID, CancellationToken.None));
        var ended = await Assert.ThrowsAsync<PostgresException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(PostgresErrorCodes.AdminShutdown, ended.SqlState);
    }
}
