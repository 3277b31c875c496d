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

    private static RunResult Measured(int repeat, long allocated, long collections, long? auditRows, long auditTicks) =>
        Run("gateway", repeat, 1_000) with
        {
            Cost = GatewayCost.Between(
                8_000,
                new RuntimeCounters(0, 0, 0, 0, 0),
                new RuntimeCounters(allocated, collections, 0, 0, 0),
                new AuditStoreSnapshot(0, new Dictionary<int, long> { [7] = 0 }),
                new AuditStoreSnapshot(0, new Dictionary<int, long> { [7] = auditTicks }),
                auditRows),
        };

    [Fact]
    public void Gateway_cost_row_shows_medians_of_bytes_gcs_rows_and_audit_store_cpu()
    {
        var report = Render(
        [
            Run("direct", 1, 40_000),
            Measured(1, 8_000_000, 8, 16_000, 80),
            Measured(2, 16_000_000, 16, 16_000, 160),
            Measured(3, 800_000_000, 800, 16_000, 8_000),
        ]);

        // Medians: 2,000 B and 2 GCs per 1,000 of 8,000 statements; 2 rows each; 1.6 s of store CPU for 16,000 rows.
        Assert.Contains("| pgbench -S -M simple | 2,000 | 2.00 | 0 | 2.00 | 100.0 |", report, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_measured_gateway_runs_there_is_no_cost_section()
    {
        var report = Render([Run("gateway", 1, 1_000)]);

        Assert.DoesNotContain("Gateway allocations", report, StringComparison.Ordinal);
    }

    [Fact]
    public void One_client_section_shows_latency_added_over_direct_and_the_audit_store_commit()
    {
        var commit = OneClientResultTests.Run("audit-store", 1_200, 2_500);
        var oneClient = new OneClientResult(
            10, [OneClientResultTests.Run("gateway", 900, 2_000), OneClientResultTests.Run("direct", 100, 300), OneClientResultTests.Run("pgbouncer", 150, 400)], commit);

        var report = MarkdownReport.Render(
            Plan, [], null, new MachineInfo(2, "test cpu", 24, "6.1", ".NET"), "0 0 0", "0 0 0", DateTimeOffset.UnixEpoch, TimeSpan.FromMinutes(1), null, null, null, oneClient);

        var section = report[report.IndexOf("## Latency with one client", StringComparison.Ordinal)..];
        var table = section[section.IndexOf("| direct |", StringComparison.Ordinal)..];
        Assert.StartsWith("| direct | 100 | 100 | 300 | – | – |\n| pgbouncer | 100 | 150 | 400 | 50 | 100 |\n| gateway | 100 | 900 | 2,000 | 800 | 1,700 |", table.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("p50 1,200 µs, p99 2,500 µs", report, StringComparison.Ordinal);
    }
}
