using System.Diagnostics;
using Npgsql;

namespace OrleansGate.LoadTest;

/// <summary>
/// Opens many sessions through the gateway and leaves them idle: the gateway's resident memory before and
/// after, divided by the sessions, is the memory one idle session costs. A sample of sessions is then asked
/// a statement, so "held" means usable, not just accepted.
/// </summary>
public static class IdleSessionProbe
{
    public static async Task<IdleResult> RunAsync(IdleSpec spec, CancellationToken ct)
    {
        var endpoints = await Endpoints.CreateAsync(spec.Target, spec.Sessions, ct).ConfigureAwait(false);
        var pid = spec.Target.Pid;
        var before = ProcessSampler.RssKb(pid);
        var connections = new NpgsqlConnection?[spec.Sessions];
        var failed = 0;
        string? firstError = null;
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var opening = CancellationTokenSource.CreateLinkedTokenSource(ct);
            opening.CancelAfter(TimeSpan.FromSeconds(spec.TimeoutSeconds));
            try
            {
                await Parallel.ForAsync(0, spec.Sessions, new ParallelOptions { MaxDegreeOfParallelism = spec.OpenParallelism, CancellationToken = opening.Token }, async (i, token) =>
                {
                    var connection = new NpgsqlConnection(endpoints.ConnectionString(i));
                    try
                    {
                        await connection.OpenAsync(token).ConfigureAwait(false);
                        connections[i] = connection;
                    }
                    catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException)
                    {
                        Interlocked.CompareExchange(ref firstError, e.Message, null);
                        await connection.DisposeAsync().ConfigureAwait(false);
                        if (Interlocked.Increment(ref failed) >= spec.MaxFailures)
                        {
                            // Something is exhausted (descriptors, upstream): more attempts only add time.
                            await opening.CancelAsync().ConfigureAwait(false);
                        }
                    }
                    catch (OperationCanceledException)
                    {
                        await connection.DisposeAsync().ConfigureAwait(false);
                        throw;
                    }
                }).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                firstError ??= $"stopped opening after {spec.TimeoutSeconds} s";
            }

            var openSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;

            // Every open has returned ReadyForQuery, so each session is registered, has its upstream and is idle.
            var with = ProcessSampler.RssKb(pid);
            var opened = connections.Count(c => c is not null);
            var probed = 0;
            var alive = 0;
            for (var i = 0; i < connections.Length && probed < 100; i += Math.Max(1, connections.Length / 100))
            {
                if (connections[i] is not { } connection)
                {
                    continue;
                }

                probed++;
                await using var command = new NpgsqlCommand("SELECT 1", connection);
                try
                {
                    if (await command.ExecuteScalarAsync(ct).ConfigureAwait(false) is 1)
                    {
                        alive++;
                    }
                }
                catch (NpgsqlException e)
                {
                    firstError ??= e.Message;
                }
            }

            var perSession = opened == 0 ? 0 : (with - before) / (double)opened;
            return new IdleResult(spec.Sessions, opened, failed, firstError, openSeconds, before / 1024.0, with / 1024.0, perSession, alive, probed);
        }
        finally
        {
            await Parallel.ForEachAsync(connections, new ParallelOptions { MaxDegreeOfParallelism = spec.OpenParallelism }, async (c, _) =>
            {
                if (c is not null)
                {
                    await c.DisposeAsync().ConfigureAwait(false);
                }
            }).ConfigureAwait(false);
        }
    }
}
