using OrleansGate.Policy.Evaluation;
using OrleansGate.Policy.Loading;
using OrleansGate.Policy.Model;

namespace OrleansGate.Policy.Tests.Shell;

public sealed class SshDecisionTests
{
    private const string Approval = "    approval: { approvers: { groups: [ops] } }\n";

    private static CompiledPolicy Load(string rules) => PolicyLoader.Load("version: s-1\nrules:\n" + rules, "s.yaml");

    private static string Rule(string name, string effect, string match) =>
        $"  - name: {name}\n    effect: {effect}\n    reason: {name}\n    match: {match}\n" + (effect == "approve" ? Approval : "");

    private static CompiledPolicy Allow(string ssh) => Load(Rule("r", "allow", $"{{ ssh: {ssh} }}"));

    private static PolicyDecision Decide(CompiledPolicy policy, string line, string target = "web1", PolicyIdentity? who = null) =>
        PolicyEvaluator.Decide(policy, who ?? PolicyTestPolicies.Agent, target, SshCommandFacts.Parse(line));

    private static bool Allowed(CompiledPolicy policy, string line) => Decide(policy, line).IsAllowed;

    [Fact]
    public void No_matching_rule_is_denied_with_the_policy_version()
    {
        var decision = Decide(Allow("{ commands: [ls] }"), "cat x");

        Assert.Equal((PolicyEffect.Deny, PolicyEvaluator.NoMatchRule, "no policy rule allows this command line", "s-1"), (decision.Effect, decision.Rule, decision.Reason, decision.PolicyVersion));
    }

    [Fact]
    public void A_refused_line_is_denied_as_unparsable_whatever_the_rules()
    {
        var decision = Decide(Load(Rule("any", "allow", "{ ssh: { commands: [\"**\"] } }")), "echo $(id)");

        Assert.Equal((PolicyEffect.Deny, PolicyEvaluator.UnparsableRule), (decision.Effect, decision.Rule));
        Assert.Contains("command substitution", decision.Reason, StringComparison.Ordinal);
        Assert.Null(PolicyEvaluator.FindRule(Load(Rule("any", "allow", "{ ssh: { commands: [\"**\"] } }")), PolicyTestPolicies.Agent, "web1", SshCommandFacts.Parse("")));
    }

    [Theory]
    [InlineData("ls", true)]
    [InlineData("/bin/ls", false)]
    [InlineData("/tmp/evil/ls", false)]
    [InlineData("ls; cat", false)]
    [InlineData("ls | ls", true)]
    public void A_bare_command_name_covers_only_that_name(string line, bool allowed) =>
        Assert.Equal(allowed, Allowed(Allow("{ commands: [ls] }"), line));

    [Theory]
    [InlineData("/usr/bin/ls", true)]
    [InlineData("/usr/bin/x/ls", false)]
    [InlineData("/usr/bin/../../tmp/ls", false)]
    [InlineData("ls", false)]
    public void Paths_are_covered_by_path_globs(string line, bool allowed) =>
        Assert.Equal(allowed, Allowed(Allow("{ commands: [\"/usr/bin/*\"] }"), line));

    [Theory]
    [InlineData("{ commands: [\"*\"] }", "python3 -c x", false)]
    [InlineData("{ commands: [\"*\"] }", "awk 1 f", false)]
    [InlineData("{ commands: [\"*\"] }", "/tmp/x/env ls", false)]
    [InlineData("{ commands: [\"*\"] }", "ssh other-host id", false)]
    [InlineData("{ commands: [\"*\"] }", "sh -c 'echo hi'", true)]
    [InlineData("{ commands: [python3] }", "python3 -c x", true)]
    [InlineData("{ commands: [\"*\"] }", "find /var/log -name x", false)]
    [InlineData("{ commands: [find, cat] }", "find /var/log -exec cat {} \\;", true)]
    [InlineData("{ commands: [find] }", "find /var/log -exec cat {} \\;", false)]
    public void Interpreters_and_hidden_wrappers_are_covered_only_when_named_literally(string ssh, string line, bool allowed) =>
        Assert.Equal(allowed, Allowed(Allow(ssh), line));

    [Theory]
    [InlineData("cat /var/log/syslog", true)]
    [InlineData("cat /var/log/apt/history.log", true)]
    [InlineData("cat /var/log/*.log", true)]
    [InlineData("cat -n /var/log/syslog", true)]
    [InlineData("cat -A /var/log/syslog", false)]
    [InlineData("cat /var/log", false)]
    [InlineData("cat /var/log/../../etc/passwd", false)]
    [InlineData("cat /var/log/x/..", false)]
    [InlineData("cat /etc/passwd", false)]
    [InlineData("cat /var/log//syslog", true)]
    [InlineData("cat /var/log/./syslog", true)]
    public void An_allow_must_cover_every_argument(string line, bool allowed) =>
        Assert.Equal(allowed, Allowed(Allow("{ commands: [cat], args: [\"/var/log/**\", -n] }"), line));

    [Theory]
    [InlineData("cat /var/log/../../etc/passwd", false)]
    [InlineData("cat x", true)]
    public void Traversal_is_never_covered_even_with_any_args(string line, bool allowed) =>
        Assert.Equal(allowed, Allowed(Allow("{ commands: [cat] }"), line));

    [Theory]
    [InlineData("{ commands: [ls] }", "ls 2>&1", true)]
    [InlineData("{ commands: [ls] }", "ls > /dev/null", false)]
    [InlineData("{ commands: [ls], redirects: [/dev/null] }", "ls > /dev/null 2>&1", true)]
    [InlineData("{ commands: [ls], redirects: [/dev/null] }", "ls > /tmp/x", false)]
    [InlineData("{ commands: [ls], redirects: [/dev/null] }", "{ ls; } > /tmp/x", false)]
    [InlineData("{ commands: [ls], redirects: [/dev/null] }", "ls < /etc/passwd", false)]
    [InlineData("{ commands: [cat] }", "cat <<'E'\nx\nE", true)]
    [InlineData("{ commands: [cat] }", "cat <<< x", true)]
    [InlineData("{ commands: [ls], redirects: [\"/tmp/**\"] }", "ls > /tmp/../etc/x", false)]
    public void An_allow_must_cover_every_file_redirection(string ssh, string line, bool allowed) =>
        Assert.Equal(allowed, Allowed(Allow(ssh), line));

    [Theory]
    [InlineData("{ commands: [ls] }", "sudo ls", false)]
    [InlineData("{ commands: [ls], sudo: false }", "sudo ls", false)]
    [InlineData("{ commands: [ls], sudo: true }", "sudo ls", true)]
    [InlineData("{ commands: [ls], sudo: true }", "ls", true)]
    [InlineData("{ commands: [ls], sudo: true }", "sudo -u web sh -c 'ls'", true)]
    [InlineData("{ commands: [\"/usr/local/bin/sudo\"], sudo: true }", "/usr/local/bin/sudo ls", true)]
    [InlineData("{ commands: [\"*\"], sudo: true }", "/usr/local/bin/sudo ls", false)]
    public void Sudo_is_covered_only_with_sudo_true(string ssh, string line, bool allowed) =>
        Assert.Equal(allowed, Allowed(Allow(ssh), line));

    [Theory]
    [InlineData("{ commands: [rm] }", "ls; /bin/rm x", true)]
    [InlineData("{ commands: [rm] }", "sudo rm x", true)]
    [InlineData("{ commands: [rm] }", "sh -c 'rm x'", true)]
    [InlineData("{ commands: [rm] }", "find . -exec rm {} +", true)]
    [InlineData("{ commands: [rm] }", "python3 -c 'import os'", true)]
    [InlineData("{ commands: [rm] }", "find . -name x", false)]
    [InlineData("{ commands: [rm] }", "ls", false)]
    [InlineData("{ args: [\"/etc/**\"] }", "ls /etc/passwd", true)]
    [InlineData("{ args: [\"/etc/shadow\"] }", "cat /e*/sha*", true)]
    [InlineData("{ args: [\"/etc/shadow\"] }", "cat /etc//./shadow", true)]
    [InlineData("{ args: [\"/etc/shadow\"] }", "cat /var/log/../../etc/shadow", true)]
    [InlineData("{ args: [\"/etc/shadow\"] }", "cat /var/log/x*", false)]
    [InlineData("{ commands: [cat], args: [\"/etc/**\"] }", "cat /var/log/x; ls /etc", false)]
    [InlineData("{ redirects: [\"/etc/**\"] }", "ls > /etc/x", true)]
    [InlineData("{ redirects: [\"/etc/**\"] }", "ls 2>&1", false)]
    [InlineData("{ sudo: true }", "ls; sudo ls", true)]
    [InlineData("{ sudo: true }", "ls", false)]
    [InlineData("{ sudo: false }", "ls", true)]
    public void A_deny_matches_when_any_simple_command_meets_all_its_keys(string ssh, string line, bool denied)
    {
        var policy = Load(Rule("all", "allow", "{ ssh: { commands: [\"**\", python3, find, sh] , sudo: true } }") + Rule("d", "deny", $"{{ ssh: {ssh} }}"));

        Assert.Equal(denied, Decide(policy, line).Rule == "d");
    }

    [Fact]
    public void Deny_overrides_approve_overrides_allow()
    {
        var policy = Load(
            Rule("allow-ls", "allow", "{ ssh: { commands: [ls, rm, reboot] } }")
            + Rule("approve-rm", "approve", "{ ssh: { commands: [rm] } }")
            + Rule("deny-reboot", "deny", "{ ssh: { commands: [reboot] } }"));

        Assert.Equal((PolicyEffect.Allow, "allow-ls"), Outcome(Decide(policy, "ls")));
        Assert.Equal((PolicyEffect.Approve, "approve-rm"), Outcome(Decide(policy, "ls && rm x")));
        Assert.Equal((PolicyEffect.Deny, "deny-reboot"), Outcome(Decide(policy, "rm x; reboot")));

        static (PolicyEffect, string) Outcome(PolicyDecision d) => (d.Effect, d.Rule);
    }

    [Fact]
    public void A_rule_on_who_and_where_only_denies_or_approves_every_line_but_allows_none()
    {
        var anyAllow = Load(Rule("agents", "allow", "{ groups: [agents] }"));
        Assert.Equal(PolicyEvaluator.NoMatchRule, Decide(anyAllow, "ls").Rule);

        var anyApprove = Load(Rule("ls", "allow", "{ ssh: { commands: [ls] } }") + Rule("ask", "approve", "{ targets: [web1] }"));
        Assert.Equal(PolicyEffect.Approve, Decide(anyApprove, "ls").Effect);
        Assert.Equal(PolicyEffect.Allow, Decide(anyApprove, "ls", target: "web2").Effect);

        var anyDeny = Load(Rule("ls", "allow", "{ ssh: { commands: [ls] } }") + Rule("no", "deny", "{ subjects: [agent-1] }"));
        Assert.Equal("no", Decide(anyDeny, "ls").Rule);
    }

    [Fact]
    public void Rules_of_other_protocols_never_decide_a_command_line_and_ssh_rules_never_decide_others()
    {
        var policy = Load(
            Rule("sql", "allow", "{ kinds: [read] }")
            + Rule("k8s", "allow", "{ kubernetes: {} }")
            + Rule("ssh-deny", "deny", "{ ssh: {} }"));

        Assert.Equal("ssh-deny", Decide(policy, "ls").Rule);
        Assert.Equal(PolicyEvaluator.NoMatchRule, Decide(Load(Rule("sql", "allow", "{ kinds: [read] }") + Rule("k8s", "allow", "{ kubernetes: {} }")), "ls").Rule);
        var k8s = new KubernetesRequestFacts { IsResourceRequest = true, Verb = "get", Path = "/api/v1/pods", Resource = "pods", Namespace = "a", Name = "p" };
        Assert.Equal("k8s", PolicyEvaluator.Decide(policy, PolicyTestPolicies.Agent, "c", k8s).Rule);
        var select = Classifiers.Classify("SELECT 1");
        Assert.Equal("sql", PolicyEvaluator.Decide(policy, PolicyTestPolicies.Agent, "db", select).Rule);
    }

    [Fact]
    public void MayEverAllow_lists_ssh_only_for_rules_that_could_allow_or_approve_a_command_line()
    {
        var who = PolicyTestPolicies.Agent;
        var other = new PolicyIdentity("someone", ["else"]);
        var policy = Load(
            Rule("anyone-sql", "allow", "{ groups: [agents] }")
            + Rule("logs", "allow", "{ groups: [agents], targets: [web1], ssh: { commands: [ls] } }")
            + Rule("deny-all", "deny", "{ ssh: {} }"));

        Assert.True(PolicyEvaluator.MayEverAllow(policy, who, RuleProtocol.Ssh));
        Assert.True(PolicyEvaluator.MayEverAllow(policy, who, RuleProtocol.Ssh, "web1"));
        Assert.False(PolicyEvaluator.MayEverAllow(policy, who, RuleProtocol.Ssh, "web2"));
        Assert.False(PolicyEvaluator.MayEverAllow(policy, other, RuleProtocol.Ssh));
        Assert.True(PolicyEvaluator.MayEverAllow(policy, who, RuleProtocol.Sql));
        Assert.True(PolicyEvaluator.MayEverAllow(policy, who, RuleProtocol.Kubernetes, "prod"));

        var approveAny = Load(Rule("ask", "approve", "{ groups: [agents] }"));
        Assert.True(PolicyEvaluator.MayEverAllow(approveAny, who, RuleProtocol.Ssh, "web9"));
        Assert.False(PolicyEvaluator.MayEverAllow(Load(Rule("no", "deny", "{ groups: [agents] }")), who, RuleProtocol.Ssh));
    }
}
