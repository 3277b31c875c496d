using System.Diagnostics;
using System.Net;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using OrleansGate.IntegrationTests.Infrastructure;
using OrleansGate.IntegrationTests.Policy;
using Xunit.Abstractions;

namespace OrleansGate.IntegrationTests.Deploy;

/// <summary>
/// The node image, built for real by deploy/container/build.sh (debootstrap base imported into buildah, multi-stage
/// Containerfile), then run on its read-only root filesystem as its non-root user (docs/deploy.md).
/// </summary>
[Collection(ContainerImageCollection.Name)]
public sealed class ContainerImageTests(ITestOutputHelper output)
{
    private const string Tag = "localhost/orleansgate:test";

    private static string Script => Path.Combine(PolicyFixture.RepoRoot(), "deploy/container/build.sh");

    [Fact]
    public async Task Containerfile_is_multi_stage_non_root_with_libpg_query_from_debian_and_no_secrets()
    {
        var lines = (await File.ReadAllLinesAsync(Path.Combine(PolicyFixture.RepoRoot(), "deploy/container/Containerfile")))
            .Where(l => !l.TrimStart().StartsWith('#')).ToList();
        Assert.Equal(2, lines.Count(l => l.StartsWith("FROM ", StringComparison.Ordinal)));
        Assert.Contains(lines, l => l.StartsWith("COPY --from=build /out/", StringComparison.Ordinal));
        var user = Assert.Single(lines, l => l.StartsWith("USER ", StringComparison.Ordinal))["USER ".Length..];
        Assert.True(int.TryParse(user.Split(':')[0], out var uid) && uid > 0, $"USER {user} is not a numeric non-root user");
        Assert.Contains(lines, l => l.Contains("apt-get install", StringComparison.Ordinal) && l.Contains("libpg-query1504.0", StringComparison.Ordinal));
        var text = string.Join('\n', lines);
        foreach (var secret in new[] { "Password", "Secret", "PRIVATE KEY", "SigningKeyPath", "StateDatabase" })
        {
            Assert.DoesNotContain(secret, text, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task Image_builds_and_runs_as_non_root_on_a_read_only_root_with_debians_libpg_query()
    {
        // The first build on a machine makes the debootstrap base and the SDK image too (about 4.5 min here); later
        // builds reuse them and every unchanged layer.
        var build = await ExternalCommand.RunAsync(Script, ["build", Tag], TimeSpan.FromMinutes(9));
        output.WriteLine(build.ToString());
        Assert.True(build.ExitCode == 0, build.ToString());

        var config = await ExternalCommand.RunAsync(Script, ["config", Tag], TimeSpan.FromMinutes(1));
        Assert.True(config.ExitCode == 0, config.ToString());
        using var json = JsonDocument.Parse(config.StandardOutput);
        var root = json.RootElement;
        var user = root.GetProperty("User").GetString()!;
        Assert.True(int.TryParse(user.Split(':')[0], out var uid) && uid > 0, $"the image runs as '{user}'");
        Assert.Equal(["/opt/orleansgate/orleansgate"], root.GetProperty("Entrypoint").EnumerateArray().Select(e => e.GetString()));
        Assert.DoesNotContain(root.GetProperty("Env").EnumerateArray(), e => e.GetString()!.Contains("Password", StringComparison.OrdinalIgnoreCase));

        var help = await ExternalCommand.RunAsync(Script, ["run-read-only", Tag, "help"], TimeSpan.FromMinutes(1));
        Assert.True(help.ExitCode == 0, help.ToString());
        Assert.Contains("usage: orleansgate", help.StandardOutput);

        // A statement classified by libpg_query inside the image (policy test touches no target): the Debian library
        // loads on the read-only root, as the image's user.
        var policyDir = Path.Combine(PolicyFixture.RepoRoot(), "deploy/kubernetes/base");
        var decision = await ExternalCommand.RunAsync(
            Script,
            ["run-read-only", Tag, "policy", "test", "--policy", "/etc/orleansgate/policy.yaml", "--subject", "agent-1", "--groups", "agents", "--target", "app", "--sql", "DELETE FROM orders"],
            TimeSpan.FromMinutes(1),
            environment: new Dictionary<string, string> { ["RUN_BIND"] = $"{policyDir}:/etc/orleansgate" });
        Assert.True(decision.ExitCode == 2, decision.ToString());
        Assert.Contains("unbounded write: yes", decision.StandardOutput);
        Assert.Contains("writes:   orders", decision.StandardOutput);
    }

    [Fact]
    [SupportedOSPlatform("linux")]
    public async Task A_node_from_the_image_becomes_ready_on_a_read_only_root_and_stops_on_sigterm()
    {
        var build = await ExternalCommand.RunAsync(Script, ["build", Tag], TimeSpan.FromMinutes(9));
        Assert.True(build.ExitCode == 0, build.ToString());

        await using var postgres = await TempPostgres.StartAsync();
        await postgres.CreateDatabaseAsync("orleansgate_state");
        var (http, listener, silo, gateway) = (FreePort.Next(), FreePort.Next(), FreePort.Next(), FreePort.Next());

        // What the pod would mount read-only at /etc/orleansgate: config, policy and this node's audit signing key.
        var etc = Path.Combine("/tmp", "orleansgate-image-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)));
        Directory.CreateDirectory(etc);
        try
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            await File.WriteAllTextAsync(Path.Combine(etc, "signing.key"), key.ExportPkcs8PrivateKeyPem());
            File.Copy(Path.Combine(PolicyFixture.RepoRoot(), "deploy/kubernetes/base/policy.yaml"), Path.Combine(etc, "policy.yaml"));
            var config = new
            {
                OrleansGate = new
                {
                    StateDatabase = postgres.ConnectionString("orleansgate_state"),
                    Cluster = new { ClusterId = "image-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)), ServiceId = "image-test", SiloPort = silo, GatewayPort = gateway },
                    Http = new { Address = "127.0.0.1", Port = http },
                    Postgres = new { Address = "127.0.0.1", Port = listener, Insecure = true },
                    Policy = new { File = "/etc/orleansgate/policy.yaml" },
                    Audit = new { SigningKeyPath = "/etc/orleansgate/signing.key" },
                },
            };
            await File.WriteAllTextAsync(Path.Combine(etc, "orleansgate.json"), JsonSerializer.Serialize(config));

            // The image's user (10001) reads them; a pod gets this from fsGroup and the Secret's mode.
            File.SetUnixFileMode(etc, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            foreach (var file in Directory.GetFiles(etc))
            {
                File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            }

            var info = new ProcessStartInfo(Script) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in new[] { "run-read-only", Tag, "--config", "/etc/orleansgate/orleansgate.json", "run", "--role", "all" })
            {
                info.ArgumentList.Add(argument);
            }

            info.Environment["RUN_BIND"] = $"{etc}:/etc/orleansgate";
            var log = new StringBuilder();
            using var node = Process.Start(info)!;
            node.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
            node.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
            node.BeginOutputReadLine();
            node.BeginErrorReadLine();
            try
            {
                using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
                await Poll.UntilAsync(
                    async () =>
                    {
                        Assert.False(node.HasExited, "the node exited: " + Snapshot(log));
                        try
                        {
                            return (await client.GetAsync($"http://127.0.0.1:{http}/readyz")).StatusCode == HttpStatusCode.OK;
                        }
                        catch (HttpRequestException)
                        {
                            return false;
                        }
                    },
                    "the node in the image did not answer /readyz with 200 within 120 s",
                    seconds: 120);

                // Graceful stop (SIGTERM, as Kubernetes sends it): the node leaves and exits by itself.
                Assert.Equal(0, (await ExternalCommand.RunAsync("kill", ["-TERM", node.Id.ToString()], TimeSpan.FromSeconds(10))).ExitCode);
                using var stopped = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                await node.WaitForExitAsync(stopped.Token);
            }
            finally
            {
                // After a failure: SIGTERM first, so build.sh removes its buildah container; SIGKILL only if that hangs.
                if (!node.HasExited)
                {
                    await ExternalCommand.RunAsync("kill", ["-TERM", node.Id.ToString()], TimeSpan.FromSeconds(10));
                    using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                    await node.WaitForExitAsync(grace.Token).ContinueWith(_ => { }, TaskScheduler.Default);
                }

                if (!node.HasExited)
                {
                    node.Kill(entireProcessTree: true);
                }
            }

            output.WriteLine(Snapshot(log));
            Assert.DoesNotContain("Read-only file system", Snapshot(log));
            Assert.Equal(0, node.ExitCode);
        }
        finally
        {
            Directory.Delete(etc, recursive: true);
        }
    }

    private static string Snapshot(StringBuilder log)
    {
        lock (log)
        {
            return log.ToString();
        }
    }
}
