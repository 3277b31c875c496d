using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Npgsql;
using OrleansGate.Host.Hosting;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansGate.IntegrationTests.Observability;

/// <summary>
/// A real Prometheus server (Debian's <c>prometheus</c>) scrapes the node's <c>/metrics</c> every second: the series the
/// dashboard (deploy/grafana) and docs/operations.md name must reach it, with values that match what the test did.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class PrometheusScrapeTests(GatewayFixture fixture, ITestOutputHelper output)
{
    private const string PrometheusBinary = "/usr/bin/prometheus";
    private const int Statements = 5;

    [Fact]
    public async Task Prometheus_scrapes_decisions_latencies_sessions_logins_audit_and_jwks_series_from_the_node()
    {
        Assert.True(File.Exists(PrometheusBinary), $"{PrometheusBinary} is missing: install Debian's prometheus package (deploy/local/lib.sh does)");

        // A node in a process of its own, as in production: the test process hosts many nodes, whose meters each
        // other's providers would see (one instrument name from several meters is not a valid scrape).
        var cluster = GatewaySettings.OwnCluster("metrics");
        using var node = await NodeProcess.StartAsync(fixture.Settings.OtherNode("metrics-node", cluster), GatewayRole.All);
        var token = await fixture.Node.GetTokenAsync();

        // A refused login, then a session that stays open (the sessions gauge) after running statements through the edge.
        await using (var refused = new NpgsqlConnection(node.Settings.ConnectionString("not-a-token")))
        {
            await Assert.ThrowsAsync<PostgresException>(() => refused.OpenAsync());
        }

        await using var session = new NpgsqlConnection(node.Settings.ConnectionString(token));
        await session.OpenAsync();
        for (var i = 0; i < Statements; i++)
        {
            await using var command = new NpgsqlCommand("SELECT 1", session);
            Assert.Equal(1, await command.ExecuteScalarAsync());
        }

        await using var prometheus = await PrometheusServer.StartAsync(node.Settings.HttpPort);
        var expected = new Dictionary<string, Func<double, bool>>
        {
            [$"sum(orleansgate_edge_decisions_total{{protocol=\"postgres\",effect=\"Allow\"}})"] = v => v >= Statements,
            ["sum(orleansgate_edge_decision_duration_milliseconds_count{protocol=\"postgres\"})"] = v => v >= Statements,
            ["sum(orleansgate_edge_upstream_duration_milliseconds_count{protocol=\"postgres\"})"] = v => v >= Statements,
            ["sum(orleansgate_edge_sessions_active{protocol=\"postgres\"})"] = v => v >= 1,
            ["sum(orleansgate_edge_logins_total{outcome=\"ok\"})"] = v => v >= 1,
            ["sum(orleansgate_edge_logins_total{outcome=\"token_rejected\"})"] = v => v >= 1,
            ["sum(orleansgate_edge_audit_commit_duration_milliseconds_count{outcome=\"ok\"})"] = v => v >= 1,
            ["sum(orleansgate_edge_audit_queued)"] = v => v >= 0,
            ["sum(orleansgate_identity_jwks_fetches_total{outcome=\"ok\"})"] = v => v >= 1,
            ["sum(orleansgate_edge_connections_total)"] = v => v >= 2,
        };

        var values = new Dictionary<string, double>();
        try
        {
            await Poll.UntilAsync(
                async () =>
                {
                    foreach (var query in expected.Keys.Where(q => !values.ContainsKey(q)))
                    {
                        if (await prometheus.QueryAsync(query) is { } value)
                        {
                            values[query] = value;
                        }
                    }

                    return values.Count == expected.Count;
                },
                "the expected series in Prometheus");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Assert.Fail($"Prometheus never had: {string.Join(", ", expected.Keys.Where(q => !values.ContainsKey(q)))}\n"
                + $"scrape target: {await prometheus.TargetHealthAsync()}\n{prometheus.Log}");
        }

        foreach (var (query, sensible) in expected)
        {
            output.WriteLine($"{query} = {values[query]}");
            Assert.True(sensible(values[query]), $"{query} = {values[query]}");
        }

        output.WriteLine("series: " + string.Join(" ", await prometheus.SeriesNamesAsync("orleansgate_")));
    }

    [Fact]
    public async Task Metrics_endpoint_is_absent_when_turned_off_and_present_by_default()
    {
        var off = new Dictionary<string, string?> { ["OrleansGate:Http:Metrics"] = "false" };
        await using var edge = await GatewayNode.StartAsync(fixture.Settings.OtherNode("edge-no-metrics", off), GatewayRole.Edge);
        using var http = new HttpClient();

        using var absent = await http.GetAsync($"http://127.0.0.1:{edge.Settings.HttpPort}/metrics");
        using var present = await http.GetAsync($"http://127.0.0.1:{fixture.Node.Settings.HttpPort}/metrics");

        Assert.Equal(HttpStatusCode.NotFound, absent.StatusCode);
        Assert.Equal(HttpStatusCode.OK, present.StatusCode);
        Assert.StartsWith("text/plain", present.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
    }

    /// <summary>A Prometheus server as a child process, scraping one target every second; killed on dispose.</summary>
    private sealed class PrometheusServer : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly DirectoryInfo _directory;
        private readonly HttpClient _http;
        private readonly System.Text.StringBuilder _log = new();

        private PrometheusServer(Process process, DirectoryInfo directory, int port)
        {
            _process = process;
            _directory = directory;
            _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
        }

        public string Log
        {
            get
            {
                lock (_log)
                {
                    return _log.ToString();
                }
            }
        }

        public static Task<PrometheusServer> StartAsync(int targetPort)
        {
            var directory = Directory.CreateTempSubdirectory("orleansgate-prometheus-");
            var config = Path.Combine(directory.FullName, "prometheus.yml");
            File.WriteAllText(config, $"""
                global:
                  scrape_interval: 1s
                  evaluation_interval: 1s
                scrape_configs:
                  - job_name: orleansgate
                    metrics_path: /metrics
                    static_configs:
                      - targets: ["127.0.0.1:{targetPort}"]
                """);
            var port = FreePort.Next();
            var info = new ProcessStartInfo(PrometheusBinary)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            info.ArgumentList.Add($"--config.file={config}");
            info.ArgumentList.Add($"--storage.tsdb.path={Path.Combine(directory.FullName, "data")}");
            info.ArgumentList.Add($"--web.listen-address=127.0.0.1:{port}");
            var process = Process.Start(info) ?? throw new InvalidOperationException("prometheus did not start");
            var server = new PrometheusServer(process, directory, port);
            process.OutputDataReceived += (_, e) => server.Append(e.Data);
            process.ErrorDataReceived += (_, e) => server.Append(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return Task.FromResult(server);
        }

        /// <summary>What Prometheus says of its scrape target (health and last error), for a failure's message.</summary>
        public async Task<string> TargetHealthAsync()
        {
            try
            {
                return await _http.GetStringAsync("/api/v1/targets");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return "unknown: " + e.Message;
            }
        }

        /// <summary>The instant value of <paramref name="query"/>, or null while Prometheus has no sample of it (or is not up yet).</summary>
        public async Task<double?> QueryAsync(string query)
        {
            Assert.False(_process.HasExited, $"prometheus exited with {(_process.HasExited ? _process.ExitCode : 0)}\n{Log}");
            try
            {
                using var json = JsonDocument.Parse(await _http.GetStringAsync($"/api/v1/query?query={Uri.EscapeDataString(query)}"));
                var result = json.RootElement.GetProperty("data").GetProperty("result");
                return result.GetArrayLength() == 0
                    ? null
                    : double.Parse(result[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
            }
            catch (HttpRequestException)
            {
                return null;
            }
        }

        /// <summary>The names of the series Prometheus holds that start with <paramref name="prefix"/>.</summary>
        public async Task<IReadOnlyList<string>> SeriesNamesAsync(string prefix)
        {
            using var json = JsonDocument.Parse(await _http.GetStringAsync("/api/v1/label/__name__/values"));
            return [.. json.RootElement.GetProperty("data").EnumerateArray().Select(e => e.GetString()!).Where(n => n.StartsWith(prefix, StringComparison.Ordinal))];
        }

        public async ValueTask DisposeAsync()
        {
            _http.Dispose();
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            await _process.WaitForExitAsync();
            _process.Dispose();
            _directory.Delete(recursive: true);
        }

        private void Append(string? line)
        {
            if (line is not null)
            {
                lock (_log)
                {
                    _log.AppendLine(line);
                }
            }
        }
    }
}
