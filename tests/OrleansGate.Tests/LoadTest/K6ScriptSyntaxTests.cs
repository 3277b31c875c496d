using System.Diagnostics;
using System.Text.Json;

namespace OrleansGate.Tests.LoadTest;

/// <summary>
/// k6 cannot be installed on this project's machines, so its scripts (<c>loadtest/k6/*.js</c>) are only parsed, by
/// Debian's Node (<c>deploy/local/lib.sh</c> installs <c>nodejs</c>) as ES modules, which is what k6 reads; and the
/// mixes they share with the C# driver (<c>http-mix.json</c>) are checked for what both rely on.
/// </summary>
public sealed class K6ScriptSyntaxTests
{
    private const string Node = "/usr/bin/node";

    private static readonly string K6Folder = Path.Combine(RepoRoot(), "loadtest", "k6");

    private static readonly string[] ScriptNames = [.. Directory.GetFiles(K6Folder, "*.js").Select(Path.GetFileName).OfType<string>().Order()];

    public static TheoryData<string> Scripts() => [.. ScriptNames];

    [Fact]
    public void The_scripts_the_issue_asks_for_are_there() =>
        Assert.Subset(ScriptNames.ToHashSet(), new HashSet<string> { "point-select.js", "http-read.js", "http-write.js" });

    [Theory]
    [MemberData(nameof(Scripts))]
    public async Task Every_k6_script_parses_as_an_ES_module(string script)
    {
        var (exitCode, stderr) = await CheckAsync(Path.Combine(K6Folder, script));

        Assert.True(exitCode == 0, $"node --check {script} exited with {exitCode}: {stderr}");
    }

    [Fact]
    public async Task A_script_with_a_syntax_error_fails_the_check()
    {
        var text = await File.ReadAllTextAsync(Path.Combine(K6Folder, "http-read.js"));
        var broken = text.Replace("export default function () {", "export default function () { let x = ;", StringComparison.Ordinal);
        Assert.NotEqual(text, broken);

        var (exitCode, stderr) = await CheckTextAsync(broken);

        Assert.NotEqual(0, exitCode);
        Assert.Contains("SyntaxError", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_top_level_return_fails_the_check_so_the_scripts_are_parsed_as_modules()
    {
        // Read as CommonJS (Node's default for .js), a top-level return passes; k6 reads ES modules, where it is an error.
        var (exitCode, stderr) = await CheckTextAsync("const vus = 1;\nreturn;\n");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("return", stderr, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("read")]
    [InlineData("write")]
    public void Each_mix_of_http_mix_json_weighs_100_with_a_method_and_a_path(string mix)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(K6Folder, "http-mix.json")));
        var entries = json.RootElement.GetProperty(mix).EnumerateArray().ToList();

        Assert.Equal(100, entries.Sum(e => e.GetProperty("weight").GetInt32()));
        Assert.All(entries, e =>
        {
            Assert.False(string.IsNullOrEmpty(e.GetProperty("name").GetString()));
            Assert.Contains(e.GetProperty("method").GetString(), new[] { "GET", "POST", "PATCH", "PUT", "DELETE" });
            Assert.StartsWith("/api", e.GetProperty("path").GetString(), StringComparison.Ordinal);
        });
        Assert.Equal(entries.Count, entries.Select(e => e.GetProperty("name").GetString()).Distinct().Count());
    }

    [Fact]
    public void The_write_mix_bodies_are_JSON_once_the_name_is_filled_in()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(K6Folder, "http-mix.json")));
        var bodies = json.RootElement.GetProperty("write").EnumerateArray()
            .Where(e => e.TryGetProperty("body", out _))
            .Select(e => e.GetProperty("body").GetString()!)
            .ToList();

        Assert.NotEmpty(bodies);
        Assert.All(bodies, body => JsonDocument.Parse(body.Replace("{name}", "k6-1-1", StringComparison.Ordinal)).Dispose());
        Assert.Contains(bodies, body => body.Contains("{name}", StringComparison.Ordinal));
    }

    private static async Task<(int ExitCode, string Stderr)> CheckTextAsync(string text)
    {
        var script = Path.Combine(Path.GetTempPath(), $"k6-check-{Guid.NewGuid():N}.js");
        await File.WriteAllTextAsync(script, text);
        try
        {
            return await CheckAsync(script);
        }
        finally
        {
            File.Delete(script);
        }
    }

    /// <summary>
    /// <c>--experimental-default-type=module</c> (Node 20.10+) reads a <c>.js</c> file as an ES module, as k6 does;
    /// <c>--check</c> parses without running, so the <c>k6/…</c> imports need not resolve.
    /// </summary>
    private static async Task<(int ExitCode, string Stderr)> CheckAsync(string script)
    {
        Assert.True(File.Exists(Node), $"{Node} is missing: install Debian's nodejs (deploy/local/lib.sh ensure_packages does)");
        var start = new ProcessStartInfo(Node) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add("--experimental-default-type=module");
        start.ArgumentList.Add("--check");
        start.ArgumentList.Add(script);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stderr);
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "OrleansGate.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }
}
