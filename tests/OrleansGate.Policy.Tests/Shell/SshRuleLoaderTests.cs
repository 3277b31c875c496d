using OrleansGate.Policy.Loading;
using OrleansGate.Policy.Model;

namespace OrleansGate.Policy.Tests.Shell;

public sealed class SshRuleLoaderTests
{
    private static PolicyRule Rule(string match, string effect = "allow") =>
        PolicyLoader.Load($"rules:\n  - name: r\n    effect: {effect}\n    reason: x\n    match: {match}\n", "p.yaml").Rules.Single();

    private static string Error(string match, string effect = "allow") =>
        Assert.Throws<PolicyLoadException>(() => Rule(match, effect)).Message;

    [Fact]
    public void An_ssh_match_is_read_with_every_key()
    {
        var rule = Rule("{ targets: [web1], ssh: { commands: [ls, /usr/bin/*], args: [\"/var/log/**\", -l], redirects: /dev/null, sudo: true } }");

        Assert.Equal(RuleProtocol.Ssh, rule.Protocol);
        Assert.Equal(["ls", "/usr/bin/*"], rule.Ssh!.Commands);
        Assert.Equal(["/var/log/**", "-l"], rule.Ssh.Args);
        Assert.Equal(["/dev/null"], rule.Ssh.Redirects);
        Assert.True(rule.Ssh.Sudo);
    }

    [Fact]
    public void A_deny_may_leave_out_commands()
    {
        var rule = Rule("{ ssh: { sudo: true } }", "deny");

        Assert.Empty(rule.Ssh!.Commands);
        Assert.True(rule.Ssh.Sudo);
    }

    [Theory]
    [InlineData("{ ssh: { args: [x] } }", "allow", "rule 'r' allows ssh commands but names no 'commands'")]
    [InlineData("{ ssh: {} }", "allow", "names no 'commands'")]
    [InlineData("{ ssh: { commands: [] } }", "deny", "'commands' needs at least one entry")]
    [InlineData("{ ssh: { commands: [ls], args: [] } }", "allow", "'args' needs at least one entry")]
    [InlineData("{ ssh: { commands: [ls], redirects: [''] } }", "allow", "'redirects' cannot have an empty entry")]
    [InlineData("{ ssh: { commands: [ls], sudo: maybe } }", "allow", "'sudo' must be true or false")]
    [InlineData("{ ssh: { commands: [ls], program: [ls] } }", "allow", "unknown ssh key 'program' (expected commands, args, redirects, sudo)")]
    [InlineData("{ ssh: [ls] }", "allow", "'ssh' must be a mapping")]
    [InlineData("{ ssh: { commands: [ls] }, http: {} }", "allow", "'http' cannot stand with 'ssh'")]
    [InlineData("{ ssh: { commands: [ls] }, kinds: [read] }", "allow", "'ssh' cannot stand with 'kinds'")]
    [InlineData("{ shh: {} }", "allow", "kubernetes, http, ssh)")]
    public void Ssh_match_errors_name_the_problem(string match, string effect, string expected) =>
        Assert.Contains(expected, Error(match, effect), StringComparison.Ordinal);
}
