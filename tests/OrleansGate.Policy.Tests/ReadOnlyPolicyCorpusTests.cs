using OrleansGate.Policy.Classification;
using OrleansGate.Policy.Evaluation;
using OrleansGate.Policy.Model;
using static OrleansGate.Policy.Tests.Classifiers;

namespace OrleansGate.Policy.Tests;

/// <summary>The classifier's corpora, decided under a read-only policy: every bypass denied, every legitimate read allowed.</summary>
public sealed class ReadOnlyPolicyCorpusTests
{
    public static TheoryData<string> Bypasses { get; } = [.. BypassCorpus.Statements.Select(row => (string)row[0])];

    [Fact]
    public void Bypass_corpus_has_at_least_sixty_statements() => Assert.True(Bypasses.Count >= 60, $"{Bypasses.Count} statements");

    [Theory]
    [MemberData(nameof(Bypasses))]
    public void Bypass_statement_is_denied_under_read_only_policy(string sql)
    {
        var decision = PolicyEvaluator.Decide(PolicyTestPolicies.ReadOnly, PolicyTestPolicies.Agent, "demo", Classify(sql));

        Assert.NotEqual(PolicyEffect.Allow, decision.Effect);
    }

    [Theory]
    [MemberData(nameof(FalsePositiveCorpusTests.Reads), MemberType = typeof(FalsePositiveCorpusTests))]
    public void Legitimate_read_is_allowed_under_read_only_policy(string sql)
    {
        var decision = PolicyEvaluator.Decide(PolicyTestPolicies.ReadOnly, PolicyTestPolicies.Agent, "demo", Classify(sql));

        Assert.Equal(PolicyEffect.Allow, decision.Effect);
        Assert.Equal("agents-read", decision.Rule);
    }
}
