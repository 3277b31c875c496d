using System.Diagnostics;
using System.Net.Http.Headers;

namespace OrleansGate.LoadTest.Http;

/// <summary>
/// A closed loop per client against one HTTP target: each client has its own connection (one keep-alive connection per
/// client, like the PostgreSQL driver's one connection per client) and, for the gateway, its own agent's token; each
/// request is drawn from the mix by weight, from a sequence seeded by the client's number, so every target gets the
/// same requests. A response other than 2xx, or no response, is an error.
/// </summary>
public static class HttpLoad
{
    public static async Task<RunResult> RunAsync(
        HttpTargetSpec target, string mixName, IReadOnlyList<HttpMixEntry> mix, IReadOnlyDictionary<string, string> values,
        int clients, TimeSpan duration, int repeat, CancellationToken ct)
    {
        IReadOnlyList<string> tokens = target.TokenUrl is null ? [] : await TokenClient.FetchAsync(target.Name, target.TokenUrl, target.TokenClients, clients, ct).ConfigureAwait(false);
        if (tokens.Count > 0 && tokens.Count < clients)
        {
            throw new InvalidOperationException($"target '{target.Name}' has {tokens.Count} token clients for {clients} clients");
        }

        var http = Enumerable.Range(0, clients).Select(_ => new HttpClient(
            new SocketsHttpHandler { MaxConnectionsPerServer = 1, UseCookies = false, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) })
        { Timeout = TimeSpan.FromSeconds(30) }).ToArray();
        try
        {
            var latencies = new List<int>[clients];
            var errors = new long[clients];
            string? firstError = null;
            var total = HttpMix.TotalWeight(mix);
            var samplers = new[] { target.Pid }.Concat(target.WorkerPids).Select(pid => new ProcessSampler(pid)).ToArray();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var started = Stopwatch.GetTimestamp();
            foreach (var sampler in samplers)
            {
                sampler.Start();
            }

            stop.CancelAfter(duration);
            var workers = Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
            {
                var random = new Random(c + 1);
                var mine = latencies[c] = new List<int>(4096);
                var iteration = 0;
                while (!stop.IsCancellationRequested)
                {
                    var entry = HttpMix.Pick(mix, random.Next(total));
                    var name = $"bench-{c}-{repeat}-{iteration++}";
                    using var request = new HttpRequestMessage(new HttpMethod(entry.Method), target.BaseUrl.TrimEnd('/') + HttpMix.Fill(entry.Path, values, name));
                    if (tokens.Count > 0)
                    {
                        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tokens[c]);
                    }

                    if (entry.Body is { } body)
                    {
                        request.Content = new StringContent(HttpMix.Fill(body, values, name));
                        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(entry.ContentType ?? "application/json");
                    }

                    var begun = Stopwatch.GetTimestamp();
                    try
                    {
                        using var response = await http[c].SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stop.Token).ConfigureAwait(false);
                        await response.Content.CopyToAsync(Stream.Null, stop.Token).ConfigureAwait(false);
                        if (!response.IsSuccessStatusCode)
                        {
                            errors[c]++;
                            Interlocked.CompareExchange(ref firstError, $"{entry.Name}: {(int)response.StatusCode} {response.ReasonPhrase}", null);
                            continue;
                        }
                    }
                    catch (OperationCanceledException) when (stop.IsCancellationRequested)
                    {
                        break; // the run's end, mid-request: not counted
                    }
                    catch (HttpRequestException e)
                    {
                        errors[c]++;
                        Interlocked.CompareExchange(ref firstError, $"{entry.Name}: {e.Message}", null);
                        continue;
                    }

                    mine.Add((int)Stopwatch.GetElapsedTime(begun).TotalMicroseconds);
                }
            }, CancellationToken.None)).ToArray();
            await Task.WhenAll(workers).ConfigureAwait(false);
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            double cpu = 0, rss = 0;
            foreach (var sampler in samplers)
            {
                var (c, r) = await sampler.StopAsync().ConfigureAwait(false);
                (cpu, rss) = (cpu + c, rss + r);
                await sampler.DisposeAsync().ConfigureAwait(false);
            }

            var operations = latencies.Sum(l => (long)l.Count);
            return new RunResult($"http-{mixName}", target.Name, repeat, clients, seconds, operations, errors.Sum(), operations / seconds,
                LatencySummary.From(latencies), cpu, rss, firstError);
        }
        finally
        {
            foreach (var client in http)
            {
                client.Dispose();
            }
        }
    }
}
