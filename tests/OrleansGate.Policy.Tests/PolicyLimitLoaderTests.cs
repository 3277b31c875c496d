using OrleansGate.Policy.Evaluation;
using OrleansGate.Policy.Loading;
using OrleansGate.Policy.Model;

namespace OrleansGate.Policy.Tests;

public sealed class PolicyLimitLoaderTests
{
    private const string Rules = "rules:\n  - name: r\n    effect: allow\n    reason: x\n";

    [Fact]
    public void Limits_are_loaded_with_their_match_and_every_kind()
    {
        var policy = PolicyLoader.Load(
            Rules + """
            limits:
              - name: agents
                match: { groups: [agents], claims: { team: payments } }
                statements_per_second: 50
                sessions: 4
                rows_read: { max: 100000, window: 1h }
                rows_changed: { max: 500, window: 1d }
              - name: everyone
                statements_per_second: 2.5
            """,
            "p.yaml");

        Assert.Equal(2, policy.Limits.Count);
        var agents = policy.Limits[0];
        Assert.Equal(("agents", 6), (agents.Name, agents.Line));
        Assert.Equal(["agents"], agents.Match.Groups);
        Assert.Equal("payments", agents.Match.Claims["team"]);
        Assert.Equal((50.0, 4), (agents.StatementsPerSecond, agents.Sessions));
        Assert.Equal(new RowBudget(100_000, TimeSpan.FromHours(1)), agents.RowsRead);
        Assert.Equal(new RowBudget(500, TimeSpan.FromDays(1)), agents.RowsChanged);
        Assert.Equal((2.5, null, null, null), (policy.Limits[1].StatementsPerSecond, policy.Limits[1].Sessions, policy.Limits[1].RowsRead, policy.Limits[1].RowsChanged));
        Assert.Empty(PolicyLoader.Load(Rules, "p.yaml").Limits);
    }

    [Fact]
    public void The_most_restrictive_matching_entry_applies_per_kind_and_is_named()
    {
        var policy = PolicyLoader.Load(
            Rules + """
            limits:
              - name: everyone
                statements_per_second: 100
                sessions: 2
                rows_changed: { max: 1000, window: 1h }
              - name: agents
                match: { groups: [agents] }
                statements_per_second: 20
                sessions: 10
                rows_changed: { max: 10000, window: 1d }
              - name: person
                match: { subjects: [alice] }
                statements_per_second: 5
            """,
            "p.yaml");

        var agent = PolicyEvaluator.LimitsFor(policy, new PolicyIdentity("agent-1", ["agents"]));
        Assert.Equal(new("agents", 20), agent.Statements);
        Assert.Equal(new("everyone", 2), agent.Sessions);

        // 10000 a day is fewer rows a second on average than 1000 an hour.
        Assert.Equal(new("agents", 10_000, TimeSpan.FromDays(1)), agent.RowsChanged);
        Assert.Null(agent.RowsRead);

        var other = PolicyEvaluator.LimitsFor(policy, new PolicyIdentity("bot", ["ops"]));
        Assert.Equal(new("everyone", 100), other.Statements);
        Assert.Equal(new("everyone", 1000, TimeSpan.FromHours(1)), other.RowsChanged);
        Assert.Equal(new("person", 5), PolicyEvaluator.LimitsFor(policy, new PolicyIdentity("alice", ["agents"])).Statements);
        Assert.True(PolicyEvaluator.LimitsFor(PolicyLoader.Load(Rules, "p.yaml"), new PolicyIdentity("a", [])).IsEmpty);
    }

    [Fact]
    public void A_limit_on_a_claim_the_gateway_could_not_carry_applies()
    {
        var policy = PolicyLoader.Load(Rules + "limits:\n  - name: l\n    match: { claims: { team: payments } }\n    sessions: 1\n", "p.yaml");

        var unreadable = new PolicyIdentity("a", [], new Dictionary<string, IReadOnlyList<string>>(), "", new HashSet<string> { "team" });
        Assert.Equal(new("l", 1), PolicyEvaluator.LimitsFor(policy, unreadable).Sessions);
        Assert.Null(PolicyEvaluator.LimitsFor(policy, new PolicyIdentity("a", [])).Sessions);
    }

    [Theory]
    [InlineData("limits: {}\n", 5, "'limits' must be a list")]
    [InlineData("limits:\n  - sessions\n", 6, "each limit must be a mapping")]
    [InlineData("limits:\n  - sessions: 3\n", 6, "limit needs a 'name'")]
    [InlineData("limits:\n  - name: l\n    match: { groups: [a] }\n", 6, "limit 'l' sets nothing")]
    [InlineData("limits:\n  - name: l\n    statements_per_second: 0\n", 7, "'statements_per_second' must be a number above 0")]
    [InlineData("limits:\n  - name: l\n    statements_per_second: -5\n", 7, "'statements_per_second' must be a number above 0")]
    [InlineData("limits:\n  - name: l\n    statements_per_second: fast\n", 7, "not 'fast'")]
    [InlineData("limits:\n  - name: l\n    statements_per_second: [1]\n", 7, "'statements_per_second' must be a single value")]
    [InlineData("limits:\n  - name: l\n    sessions: 2.5\n", 7, "'sessions' must be a whole number from 1")]
    [InlineData("limits:\n  - name: l\n    sessions: 0\n", 7, "'sessions' must be a whole number from 1")]
    [InlineData("limits:\n  - name: l\n    rows_changed: 100\n", 7, "'rows_changed' must be a mapping such as { max: 1000, window: 1h }")]
    [InlineData("limits:\n  - name: l\n    rows_changed: { window: 1h }\n", 7, "'rows_changed' needs 'max'")]
    [InlineData("limits:\n  - name: l\n    rows_read: { max: 10 }\n", 7, "'rows_read' needs 'window'")]
    [InlineData("limits:\n  - name: l\n    rows_read: { max: 10, window: 1w }\n", 7, "'window' must be a duration such as 90s, 10m, 2h or 1d, from 1s to 7d, not '1w'")]
    [InlineData("limits:\n  - name: l\n    rows_read: { max: 10, window: 30d }\n", 7, "from 1s to 7d, not '30d'")]
    [InlineData("limits:\n  - name: l\n    rows_read: { max: 0, window: 1h }\n", 7, "'max' must be a whole number from 1")]
    [InlineData("limits:\n  - name: l\n    rows_read: { max: 10, window: 1h, per: agent }\n", 7, "unknown key 'per' in 'rows_read' (expected max, window)")]
    [InlineData("limits:\n  - name: l\n    sessions: 1\n    match: { targets: [demo] }\n", 8, "a limit matches on issuers, subjects, groups and claims only, not 'targets'")]
    [InlineData("limits:\n  - name: l\n    sessions: 1\n    match: { kinds: [write] }\n", 8, "not 'kinds'")]
    [InlineData("limits:\n  - name: l\n    sessions: 1\n    match: { claims: { sub: x } }\n", 8, "claim 'sub' cannot be matched under 'claims'; use 'subjects'")]
    [InlineData("limits:\n  - name: l\n    sessions: 1\n  - name: l\n    sessions: 2\n", 8, "duplicate limit name 'l'")]
    [InlineData("limits:\n  - name: l\n    statments_per_second: 5\n", 7, "unknown limit key 'statments_per_second'")]
    public void Broken_limits_are_refused_naming_the_line_and_the_problem(string limits, int line, string problem)
    {
        var e = Assert.Throws<PolicyLoadException>(() => PolicyLoader.Load(Rules + limits, "p.yaml"));

        Assert.Contains(problem, e.Problem, StringComparison.Ordinal);
        Assert.Equal(line, e.Line);
    }
}
