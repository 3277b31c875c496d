using OrleansGate.Policy.Evaluation;
using OrleansGate.Policy.Loading;
using OrleansGate.Policy.Model;

namespace OrleansGate.Policy.Tests.Shell;

/// <summary>Every line of <see cref="SshCorpus"/> is decided as it says, against its policy with harmless values substituted.</summary>
public sealed class SshCorpusTests
{
    private static readonly CompiledPolicy Policy = PolicyLoader.Load(
        SshCorpus.Policy("127.0.0.1", 2222, "deploy", "SHA256:" + new string('A', 43), "/nonexistent/id_ed25519"), "ssh-corpus.yaml");

    public static TheoryData<string> Bypasses => [.. SshCorpus.Bypasses];

    public static TheoryData<string> Legitimate => [.. SshCorpus.Legitimate];

    private static PolicyDecision Decide(string line) =>
        PolicyEvaluator.Decide(Policy, PolicyTestPolicies.Agent, SshCorpus.Target, SshCommandFacts.Parse(line));

    [Theory]
    [MemberData(nameof(Bypasses))]
    public void Bypass_is_refused_with_a_reason(string line)
    {
        var decision = Decide(line);

        Assert.Equal(PolicyEffect.Deny, decision.Effect);
        Assert.False(string.IsNullOrWhiteSpace(decision.Reason));
        Assert.NotEqual("read-logs", decision.Rule);
    }

    [Theory]
    [MemberData(nameof(Legitimate))]
    public void Legitimate_line_is_allowed_by_the_log_rule(string line)
    {
        var decision = Decide(line);

        Assert.True(decision.IsAllowed, $"{decision.Rule}: {decision.Reason}");
        Assert.Equal("read-logs", decision.Rule);
    }

    [Fact]
    public void The_corpora_are_as_large_as_promised()
    {
        Assert.True(SshCorpus.Bypasses.Count >= 70);
        Assert.True(SshCorpus.Legitimate.Count >= 25);
        Assert.Equal(SshCorpus.Bypasses.Count, SshCorpus.Bypasses.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void The_corpus_policy_loads_its_target()
    {
        var target = Policy.SshTargets[SshCorpus.Target];

        Assert.Equal(("127.0.0.1", 2222, "deploy", "key_file /nonexistent/id_ed25519"), (target.Host, target.Port, target.User, target.CredentialReference));
    }

    [Fact]
    public void Sudo_is_denied_by_the_deny_rule_not_only_by_default()
    {
        Assert.Equal("no-root", Decide("sudo cat /var/log/dpkg.log").Rule);
    }

    [Fact]
    public void Another_target_is_not_covered()
    {
        var decision = PolicyEvaluator.Decide(Policy, PolicyTestPolicies.Agent, "web2", SshCommandFacts.Parse("ls /var/log"));

        Assert.Equal(PolicyEvaluator.NoMatchRule, decision.Rule);
    }
}
