using OrleansGate.LoadTest.Http;

namespace OrleansGate.LoadTest.Tests;

public sealed class HttpMixTests
{
    private static readonly Dictionary<string, string> Values = new() { ["ns"] = "default", ["pod"] = "web-1" };

    [Fact]
    public void Placeholders_are_filled_and_json_braces_are_left_alone()
    {
        Assert.Equal("/api/v1/namespaces/default/pods/web-1?limit=50", HttpMix.Fill("/api/v1/namespaces/{ns}/pods/{pod}?limit=50", Values, "x"));
        Assert.Equal("""{"metadata":{"name":"bench-1"},"data":{"k":"v"}}""", HttpMix.Fill("""{"metadata":{"name":"{name}"},"data":{"k":"v"}}""", Values, "bench-1"));
    }

    [Fact]
    public void An_unknown_placeholder_is_an_error_not_sent_as_it_is()
    {
        var e = Assert.Throws<InvalidOperationException>(() => HttpMix.Fill("/api/v1/namespaces/{namespace}/pods", Values, "x"));
        Assert.Contains("{namespace}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rolls_pick_entries_by_weight()
    {
        HttpMixEntry Entry(string name, int weight) => new() { Name = name, Weight = weight, Method = "GET", Path = "/" };
        IReadOnlyList<HttpMixEntry> mix = [Entry("a", 60), Entry("b", 30), Entry("c", 10)];
        Assert.Equal(100, HttpMix.TotalWeight(mix));
        var counts = Enumerable.Range(0, 100).GroupBy(r => HttpMix.Pick(mix, r).Name).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(new Dictionary<string, int> { ["a"] = 60, ["b"] = 30, ["c"] = 10 }, counts);
        Assert.Throws<ArgumentOutOfRangeException>(() => HttpMix.Pick(mix, 100));
    }

    [Fact]
    public void The_k6_mix_file_reads_and_every_placeholder_has_the_value_run_sh_gives()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "OrleansGate.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("no repository root above the test's folder");
        }

        var mixes = HttpMix.Read(Path.Combine(root, "loadtest", "k6", "http-mix.json"));
        Assert.Equal(["read", "write"], mixes.Keys.Order());
        var script = File.ReadAllText(Path.Combine(root, "loadtest", "run.sh"));
        var values = System.Text.RegularExpressions.Regex.Match(script, "\"values\": \\{(?<v>[^}]*)\\}").Groups["v"].Value;
        var given = System.Text.RegularExpressions.Regex.Matches(values, "\"(?<k>\\w+)\": \"(?<val>[^\"]*)\"").ToDictionary(m => m.Groups["k"].Value, m => m.Groups["val"].Value);
        Assert.NotEmpty(given);
        foreach (var entry in mixes.Values.SelectMany(m => m))
        {
            HttpMix.Fill(entry.Path, given, "bench-0-1-0");
            if (entry.Body is { } body)
            {
                System.Text.Json.JsonDocument.Parse(HttpMix.Fill(body, given, "bench-0-1-0")).Dispose();
            }
        }
    }

    [Fact]
    public void A_section_is_replaced_in_place_and_inserted_before_the_profile_when_missing()
    {
        var heading = MarkdownReport.HttpHeading;
        var without = "# Benchmarks\n\n## Masking\n\nm\n\n## Hot-path profile\n\np\n\n" + MarkdownReport.NotesMarker + "\nkept\n";
        var first = MarkdownReport.SpliceSection(without, heading, "one");
        Assert.Equal("# Benchmarks\n\n## Masking\n\nm\n\n" + heading + "\n\none\n\n## Hot-path profile\n\np\n\n" + MarkdownReport.NotesMarker + "\nkept\n", first);
        var second = MarkdownReport.SpliceSection(first, heading, "two\n");
        Assert.Equal(first.Replace("\n\none\n\n", "\n\ntwo\n\n", StringComparison.Ordinal), second);
    }

    [Fact]
    public void Comparison_shows_medians_against_the_first_target()
    {
        var plan = new HttpPlan
        {
            Targets = [new() { Name = "nginx", BaseUrl = "http://a" }, new() { Name = "gateway", BaseUrl = "http://b" }],
            MixFile = "unused",
            Mixes = ["read"],
            Output = "unused",
        };
        RunResult Run(string target, double tps) => new("http-read", target, 1, 64, 8, (long)(tps * 8), 0, tps, LatencySummary.Empty, 100, 10, null);
        var text = HttpComparison.Render(plan, [Run("nginx", 10_000), Run("gateway", 4_000), Run("nginx", 12_000), Run("gateway", 5_000), Run("nginx", 11_000), Run("gateway", 6_000)]);
        Assert.Contains("| http-read | nginx | 11,000 | 1.00 |", text, StringComparison.Ordinal);
        Assert.Contains("| http-read | gateway | 5,000 | 0.45 |", text, StringComparison.Ordinal);
    }
}
