using System.Text.Json;
using OrleansGate.IntegrationTests.Infrastructure;
using OrleansGate.IntegrationTests.Policy;
using Xunit.Abstractions;

namespace OrleansGate.IntegrationTests.Deploy;

/// <summary>
/// The node image, built for real by deploy/container/build.sh (debootstrap base imported into buildah, multi-stage
/// Containerfile), then run on its read-only root filesystem as its non-root user (docs/deploy.md).
/// </summary>
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
}
