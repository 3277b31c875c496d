using System.Diagnostics;
using Npgsql;
using NpgsqlTypes;

namespace OrleansGate.LoadTest;

/// <summary>
/// Opens one connection per client (each with its own credentials), then every client runs its workload in a
/// closed loop until the fixed duration is over: one statement in flight per client, latency per statement.
/// </summary>
public static class DriverRunner
{
    private const string SelectSql = "SELECT abalance FROM pgbench_accounts WHERE aid = $1";
    private const string UpdateSql = "UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2";

    public static async Task<RunResult> RunAsync(
        Endpoints endpoints, DriverWorkload workload, int clients, TimeSpan duration, int rows, int repeat, CancellationToken ct)
    {
        var connections = new NpgsqlConnection[clients];
        try
        {
            // Log in first, all clients at once; login time is not part of the measured window.
            await Parallel.ForAsync(0, clients, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (i, token) =>
            {
                var connection = new NpgsqlConnection(endpoints.ConnectionString(i));
                await connection.OpenAsync(token).ConfigureAwait(false);
                connections[i] = connection;
            }).ConfigureAwait(false);

            var latencies = new List<int>[clients];
            var errors = new long[clients];
            var firstErrors = new string?[clients];
            await using var sampler = new ProcessSampler(endpoints.Target.Pid);
            using var window = CancellationTokenSource.CreateLinkedTokenSource(ct);
            sampler.Start();
            var started = Stopwatch.GetTimestamp();
            window.CancelAfter(duration);
            var workers = new Task[clients];
            for (var i = 0; i < clients; i++)
            {
                var index = i;
                latencies[index] = new List<int>(64 * 1024);
                workers[index] = Task.Run(
                    () => ClientLoopAsync(connections[index], workload, rows, index, latencies[index], errors, firstErrors, window.Token), CancellationToken.None);
            }

            await Task.WhenAll(workers).ConfigureAwait(false);
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            var (cpu, rss) = await sampler.StopAsync().ConfigureAwait(false);
            var operations = latencies.Sum(l => (long)l.Count);
            return new RunResult(
                Name(workload), endpoints.Target.Name, repeat, clients, seconds, operations, errors.Sum(), operations / seconds,
                LatencySummary.From(latencies), cpu, rss, firstErrors.FirstOrDefault(e => e is not null));
        }
        finally
        {
            foreach (var connection in connections)
            {
                if (connection is not null)
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }

    public static string Name(DriverWorkload workload) => workload switch
    {
        DriverWorkload.Select => "driver select (extended, unprepared)",
        DriverWorkload.ReadWrite => "driver 80/20 read/write (unprepared)",
        DriverWorkload.Prepared => "driver 80/20 read/write (prepared)",
        _ => workload.ToString(),
    };

    private static async Task ClientLoopAsync(
        NpgsqlConnection connection, DriverWorkload workload, int rows, int index, List<int> latencies, long[] errors, string?[] firstErrors, CancellationToken window)
    {
        var random = new Random(index * 7919 + 17);
        await using var select = new NpgsqlCommand(SelectSql, connection);
        var selectId = select.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Integer });
        await using var update = new NpgsqlCommand(UpdateSql, connection);
        var delta = update.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Integer });
        var updateId = update.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Integer });
        if (workload == DriverWorkload.Prepared)
        {
            await select.PrepareAsync(CancellationToken.None).ConfigureAwait(false);
            await update.PrepareAsync(CancellationToken.None).ConfigureAwait(false);
        }

        while (!window.IsCancellationRequested)
        {
            var write = workload != DriverWorkload.Select && random.Next(5) == 0;
            var started = Stopwatch.GetTimestamp();
            try
            {
                if (write)
                {
                    delta.Value = random.Next(-5000, 5001);
                    updateId.Value = random.Next(1, rows + 1);
                    await update.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
                }
                else
                {
                    selectId.Value = random.Next(1, rows + 1);
                    await select.ExecuteScalarAsync(CancellationToken.None).ConfigureAwait(false);
                }

                latencies.Add((int)Math.Min(int.MaxValue, Stopwatch.GetElapsedTime(started).Ticks / 10));
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
            {
                // Counted, not fatal: a benchmark reports errors. A broken connection stops this client.
                errors[index]++;
                firstErrors[index] ??= e.Message;
                if (connection.FullState.HasFlag(System.Data.ConnectionState.Broken) || connection.State == System.Data.ConnectionState.Closed)
                {
                    return;
                }
            }
        }
    }
}
