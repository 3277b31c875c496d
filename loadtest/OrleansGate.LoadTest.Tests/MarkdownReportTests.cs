namespace OrleansGate.LoadTest.Tests;

public sealed class MarkdownReportTests
{
    private static readonly Plan Plan = new()
    {
        Targets = [],
        Workloads = ["pgbench-S-simple"],
        Output = "unused",
        Repeats = 3,
    };

    private static RunResult Run(string target, int repeat, double throughput) =>
        new("pgbench -S -M simple", target, repeat, 64, 8, (long)(throughput * 8), 0, throughput, LatencySummary.Empty, 50, 100, null);

    private static string Render(IReadOnlyList<RunResult> results, string? notes = null) =>
        MarkdownReport.Render(Plan, results, null, new MachineInfo(2, "test cpu", 24, "6.1", ".NET"), "0 0 0", "0 0 0", DateTimeOffset.UnixEpoch, TimeSpan.FromMinutes(1), null, notes);

    [Fact]
    public void Throughput_row_shows_medians_and_ratios_against_direct_and_pgbouncer()
    {
        var report = Render(
        [
            Run("direct", 1, 40_000), Run("direct", 2, 10_000), Run("direct", 3, 41_000),
            Run("pgbouncer", 1, 20_000), Run("pgbouncer", 2, 21_000), Run("pgbouncer", 3, 1_000),
            Run("gateway", 1, 9_000), Run("gateway", 2, 10_000), Run("gateway", 3, 11_000),
        ]);

        // Medians 40,000 / 20,000 / 10,000: one outlier per target does not move them.
        Assert.Contains("| pgbench -S -M simple | 40,000 | 20,000 | 10,000 | 0.25 | 0.50 |", report, StringComparison.Ordinal);
    }

    [Fact]
    public void Notes_below_the_marker_survive_a_rewrite()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, Render([Run("gateway", 1, 1)], "## Analysis\n\nkept text"));

            var kept = MarkdownReport.KeptNotes(path);
            var rewritten = Render([Run("gateway", 1, 2)], kept);

            Assert.EndsWith(MarkdownReport.NotesMarker + "\n## Analysis\n\nkept text\n", rewritten.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
