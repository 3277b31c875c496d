using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Serialization;
using Npgsql;

namespace OrleansGate.LoadTest;

/// <summary>
/// Logins per second: every login with a fresh token (its own token id), as agents with short-lived tokens do, so each
/// one is a new entry in the agent directory. Tokens are fetched from the development IdP before the clock starts;
/// then CLIENTS workers open and close one connection per token until all are used.
/// </summary>
/// <remarks>
/// orleansgate-loadtest logins HOST:PORT[,HOST:PORT…] DATABASE AGENT[,AGENT…] TOKEN_URL LOGINS CLIENTS. The agents are
/// dev IdP clients sharing one secret, from ORLEANSGATE_LOADTEST_CLIENT_SECRET (never on the command line); login i
/// is agent i mod n's. Several endpoints are used round robin (one per node, or one load balancer).
/// </remarks>
public static class LoginProbe
{
    public const string SecretVariable = "ORLEANSGATE_LOADTEST_CLIENT_SECRET";

    public static async Task<int> RunAsync(string[] args, TextWriter log, CancellationToken ct)
    {
        if (args.Length != 7
            || !int.TryParse(args[5], NumberStyles.None, CultureInfo.InvariantCulture, out var logins) || logins < 1
            || !int.TryParse(args[6], NumberStyles.None, CultureInfo.InvariantCulture, out var clients) || clients < 1)
        {
            throw new ArgumentException("usage: orleansgate-loadtest logins HOST:PORT[,HOST:PORT...] DATABASE AGENT[,AGENT...] TOKEN_URL LOGINS CLIENTS");
        }

        var endpoints = args[1].Split(',').Select(ParseEndpoint).ToList();
        var (database, agents, tokenUrl) = (args[2], args[3].Split(','), args[4]);
        var secret = Environment.GetEnvironmentVariable(SecretVariable)
            ?? throw new ArgumentException($"set {SecretVariable} to the dev IdP client's secret");

        var fetch = Stopwatch.StartNew();
        var tokens = await FetchTokensAsync(tokenUrl, agents, secret, logins, ct).ConfigureAwait(false);
        await log.WriteLineAsync($"fetched {tokens.Count} tokens of {agents.Length} agent(s) in {fetch.Elapsed.TotalSeconds:0.0} s").ConfigureAwait(false);

        var next = -1;
        var errors = 0;
        string? firstError = null;
        var latencies = Enumerable.Range(0, clients).Select(_ => new List<int>()).ToList();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(worker => Task.Run(
            async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < tokens.Count && !ct.IsCancellationRequested)
                {
                    var (host, port) = endpoints[i % endpoints.Count];
                    var builder = new NpgsqlConnectionStringBuilder
                    {
                        Host = host,
                        Port = port,
                        Database = database,
                        Username = agents[i % agents.Length],
                        Password = tokens[i],
                        SslMode = SslMode.Require,
                        Pooling = false,
                        Timeout = 20,
                    };
                    var started = Stopwatch.GetTimestamp();
                    try
                    {
                        await using var connection = new NpgsqlConnection(builder.ConnectionString);
                        await connection.OpenAsync(ct).ConfigureAwait(false);
                        latencies[worker].Add((int)Stopwatch.GetElapsedTime(started).TotalMicroseconds);
                    }
                    catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException)
                    {
                        // Npgsql's messages carry the server's error text, never the password.
                        Interlocked.Increment(ref errors);
                        Interlocked.CompareExchange(ref firstError, e.Message, null);
                    }
                }
            },
            ct))).ConfigureAwait(false);
        var elapsed = clock.Elapsed;

        var ok = latencies.Sum(l => l.Count);
        var summary = LatencySummary.From(latencies);
        await log.WriteLineAsync(string.Create(
            CultureInfo.InvariantCulture,
            $"logins: {ok} ok, {errors} failed in {elapsed.TotalSeconds:0.00} s over {endpoints.Count} endpoint(s) with {clients} clients: {ok / elapsed.TotalSeconds:0} logins/s; login latency p50 {summary.P50 / 1000:0.0} ms, p99 {summary.P99 / 1000:0.0} ms")).ConfigureAwait(false);
        if (firstError is not null)
        {
            await log.WriteLineAsync($"first error: {firstError}").ConfigureAwait(false);
        }

        return errors == 0 ? 0 : 1;
    }

    private static (string Host, int Port) ParseEndpoint(string text)
    {
        var colon = text.LastIndexOf(':');
        return colon > 0 && int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536
            ? (text[..colon], port)
            : throw new ArgumentException($"'{text}' is not HOST:PORT");
    }

    private static async Task<IReadOnlyList<string>> FetchTokensAsync(string url, string[] clients, string secret, int count, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var tokens = new string[count];
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(
            async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < count)
                {
                    var client = clients[i % clients.Length];
                    using var form = new FormUrlEncodedContent(new Dictionary<string, string>
                    {
                        ["grant_type"] = "client_credentials",
                        ["client_id"] = client,
                        ["client_secret"] = secret,
                    });
                    using var response = await http.PostAsync(new Uri(url), form, ct).ConfigureAwait(false);
                    if (!response.IsSuccessStatusCode)
                    {
                        // OAuth error JSON never echoes the secret.
                        throw new InvalidOperationException($"token request for client '{client}' failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false)}");
                    }

                    tokens[i] = (await response.Content.ReadFromJsonAsync<TokenAnswer>(ct).ConfigureAwait(false))?.AccessToken
                        ?? throw new InvalidOperationException("a token answer had no access_token");
                }
            },
            ct))).ConfigureAwait(false);
        return tokens;
    }

    private sealed record TokenAnswer([property: JsonPropertyName("access_token")] string? AccessToken);
}
