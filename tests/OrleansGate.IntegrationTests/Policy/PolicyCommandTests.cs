using OrleansGate.Host.Commands;

namespace OrleansGate.IntegrationTests.Policy;

/// <summary>The offline policy commands, run through the real command line (no cluster, no target).</summary>
public sealed class PolicyCommandTests : IDisposable
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"policy-{Guid.NewGuid():N}.yaml");

    public void Dispose() => File.Delete(_file);

    private static async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await CommandLine.RunAsync(args, stdout, stderr, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Policy_check_reports_file_line_and_problem_with_exit_code_1()
    {
        await File.WriteAllTextAsync(_file, "rules:\n  - name: r\n    efect: deny\n");

        var (code, _, err) = await RunAsync("policy", "check", _file);

        Assert.Equal(1, code);
        Assert.Contains($"{_file}:3: unknown rule key 'efect'", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Policy_test_prints_decision_rule_version_and_classification()
    {
        await File.WriteAllTextAsync(_file, "version: t1\nrules:\n  - name: read\n    effect: allow\n    reason: reads only\n    match: { groups: [agents], kinds: [read] }\n");

        var denied = await RunAsync("policy", "test", "--policy", _file, "--subject", "a", "--groups", "agents", "--target", "demo",
            "--sql", "EXPLAIN ANALYZE DELETE FROM public.orders WHERE id = 1");
        var allowed = await RunAsync("policy", "test", "--policy", _file, "--subject", "a", "--groups", "agents", "--target", "demo",
            "--sql", "SELECT 'DROP TABLE x'");

        Assert.Equal(2, denied.Code);
        Assert.Contains("decision: deny", denied.Out, StringComparison.Ordinal);
        Assert.Contains("rule:     default-deny", denied.Out, StringComparison.Ordinal);
        Assert.Contains("policy:   t1", denied.Out, StringComparison.Ordinal);
        Assert.Contains("writes:   public.orders", denied.Out, StringComparison.Ordinal);
        Assert.Equal(0, allowed.Code);
        Assert.Contains("rule:     read", allowed.Out, StringComparison.Ordinal);
    }
}
