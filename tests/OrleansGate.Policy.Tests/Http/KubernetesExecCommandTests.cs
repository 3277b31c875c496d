using OrleansGate.Policy.Evaluation;
using OrleansGate.Policy.Loading;
using OrleansGate.Policy.Model;

namespace OrleansGate.Policy.Tests.Http;

/// <summary>The <c>commands</c> key of a <c>kubernetes:</c> match: exec decided by the program it runs.</summary>
public sealed class KubernetesExecCommandTests
{
    private static CompiledPolicy Load(string rules) => PolicyLoader.Load("version: k-1\nrules:\n" + rules, "k.yaml");

    private static string Rule(string name, string effect, string kubernetes) =>
        $"  - name: {name}\n    effect: {effect}\n    reason: {name}\n{(effect == "approve" ? "    approval: { approvers: { groups: [sre] } }\n" : "")}    match: {{ kubernetes: {kubernetes} }}\n";

    private static CompiledPolicy AllowCommands(string commands) => Load(Rule("r", "allow", $"{{ resources: [pods/exec], commands: {commands} }}"));

    private static KubernetesRequestFacts Exec(params string[] argv) => new()
    {
        IsResourceRequest = true,
        Verb = "create",
        Path = "/api/v1/namespaces/default/pods/web-1/exec",
        Resource = "pods",
        Subresource = "exec",
        Namespace = "default",
        Name = "web-1",
        Command = argv,
    };

    private static PolicyDecision Decide(CompiledPolicy policy, KubernetesRequestFacts request) =>
        PolicyEvaluator.Decide(policy, PolicyTestPolicies.Agent, "prod-cluster", request);

    [Theory]
    [InlineData(new[] { "echo", "hi" }, true)]
    [InlineData(new[] { "/bin/echo", "hi" }, true)] // the basename of a path
    [InlineData(new[] { "ls", "-l" }, true)]
    [InlineData(new[] { "cat", "/etc/passwd" }, false)]
    [InlineData(new[] { "/bin/cat" }, false)]
    [InlineData(new[] { "echoes" }, false)]
    public void Allow_with_commands_covers_only_the_programs_it_names(string[] argv, bool allowed)
    {
        Assert.Equal(allowed, Decide(AllowCommands("[echo, l?]"), Exec(argv)).IsAllowed);
    }

    [Fact]
    public void A_path_glob_names_argv0_itself()
    {
        var policy = AllowCommands("[\"/usr/bin/*\"]");

        Assert.True(Decide(policy, Exec("/usr/bin/id")).IsAllowed);
        Assert.False(Decide(policy, Exec("id")).IsAllowed);
        Assert.False(Decide(policy, Exec("/tmp/id")).IsAllowed);
    }

    [Fact]
    public void An_exec_without_a_command_is_covered_by_no_allow_with_commands()
    {
        var policy = AllowCommands("[\"*\"]");

        Assert.Equal(PolicyEvaluator.NoMatchRule, Decide(policy, Exec()).Rule);
        Assert.Equal(PolicyEvaluator.NoMatchRule, Decide(policy, Exec("")).Rule);
        Assert.Equal(PolicyEvaluator.NoMatchRule, Decide(policy, Exec("/bin/")).Rule);
    }

    [Theory]
    [InlineData("sh")]
    [InlineData("/bin/bash")]
    [InlineData("busybox")]
    [InlineData("env")]
    [InlineData("python3.12")]
    [InlineData("PERL")]
    [InlineData("xargs")]
    public void A_shell_or_wrapper_is_not_covered_by_a_glob(string program)
    {
        var decision = Decide(AllowCommands("[\"*\"]"), Exec(program, "-c", "echo hi"));

        Assert.Equal(PolicyEvaluator.NoMatchRule, decision.Rule);
    }

    [Theory]
    [InlineData("[sh]", "sh", true)]
    [InlineData("[sh]", "/bin/sh", true)]
    [InlineData("[\"/bin/sh\"]", "/bin/sh", true)]
    [InlineData("[\"/bin/sh\"]", "sh", false)]
    [InlineData("[\"s?\"]", "sh", false)]
    [InlineData("[\"python*\"]", "python3", false)]
    [InlineData("[python3]", "python3", true)]
    public void A_shell_or_wrapper_is_covered_only_when_named_literally(string commands, string program, bool allowed)
    {
        Assert.Equal(allowed, Decide(AllowCommands(commands), Exec(program, "-c", "true")).IsAllowed);
    }

    [Fact]
    public void An_allow_on_pods_exec_without_commands_still_allows_any_command()
    {
        var policy = Load(Rule("r", "allow", "{ resources: [pods/exec] }"));

        Assert.True(Decide(policy, Exec("sh", "-c", "rm -rf /")).IsAllowed);
        Assert.True(Decide(policy, Exec()).IsAllowed);
    }

    [Theory]
    [InlineData(new[] { "rm", "-rf", "/" }, "d")]
    [InlineData(new[] { "/usr/bin/rm", "x" }, "d")]
    [InlineData(new[] { "sh", "-c", "echo hi" }, "d")] // a shell may run rm
    [InlineData(new[] { "env", "echo" }, "d")]
    [InlineData(new string[0], "d")] // no command: it may be anything
    [InlineData(new[] { "echo", "rm" }, "all")] // arguments are not judged
    public void Deny_with_commands_touches_the_program_and_every_wrapper(string[] argv, string rule)
    {
        var policy = Load(Rule("all", "allow", "{ resources: [pods/exec] }") + Rule("d", "deny", "{ resources: [pods/exec], commands: [rm] }"));

        Assert.Equal(rule, Decide(policy, Exec(argv)).Rule);
    }

    [Fact]
    public void Approve_with_commands_holds_the_program_and_wrappers()
    {
        var policy = Load(Rule("all", "allow", "{ resources: [pods/exec] }") + Rule("a", "approve", "{ resources: [pods/exec], commands: [psql] }"));

        Assert.Equal((PolicyEffect.Approve, "a"), (Decide(policy, Exec("psql")).Effect, Decide(policy, Exec("psql")).Rule));
        Assert.Equal(PolicyEffect.Approve, Decide(policy, Exec("bash")).Effect);
        Assert.Equal(PolicyEffect.Allow, Decide(policy, Exec("echo")).Effect);
    }

    [Fact]
    public void A_rule_with_commands_never_decides_attach()
    {
        var policy = Load(Rule("r", "allow", "{ resources: [pods/exec], commands: [echo] }") + Rule("d", "deny", "{ subresources: [exec], commands: [rm] }"));
        var attach = Exec() with { Subresource = "attach" };

        Assert.Equal(PolicyEvaluator.NoMatchRule, Decide(policy, attach).Rule);
        Assert.True(Decide(policy, Exec("echo")).IsAllowed);
    }

    [Fact]
    public void Commands_load_with_the_exec_match()
    {
        var match = Load(Rule("r", "allow", "{ verbs: [get, create], resources: [pods/exec], namespaces: [dev], commands: [echo, \"/usr/bin/*\"] }")).Rules[0].Kubernetes!;
        var bySubresource = Load(Rule("r", "deny", "{ resources: [pods], subresources: [exec], commands: [rm] }")).Rules[0].Kubernetes!;

        Assert.Equal(["echo", "/usr/bin/*"], match.Commands);
        Assert.Equal(["rm"], bySubresource.Commands);
    }

    [Theory]
    [InlineData("{ resources: [pods/exec], commands: [] }", "'commands' needs at least one program (such as echo or /usr/bin/ls); leave it out to allow any command")]
    [InlineData("{ resources: [pods/exec], commands: [\"\"] }", "'commands' cannot have an empty entry")]
    [InlineData("{ resources: [pods], commands: [echo] }", "'commands' decides exec requests alone: the same kubernetes match must name pods/exec in 'resources' (or exec in 'subresources') and no other subresource; write attach and the others in another rule")]
    [InlineData("{ resources: [pods/log], commands: [echo] }", "'commands' decides exec requests alone: the same kubernetes match must name pods/exec in 'resources' (or exec in 'subresources') and no other subresource; write attach and the others in another rule")]
    [InlineData("{ commands: [echo] }", "'commands' decides exec requests alone: the same kubernetes match must name pods/exec in 'resources' (or exec in 'subresources') and no other subresource; write attach and the others in another rule")]
    [InlineData("{ subresources: [log], commands: [echo] }", "'commands' decides exec requests alone: the same kubernetes match must name pods/exec in 'resources' (or exec in 'subresources') and no other subresource; write attach and the others in another rule")]
    [InlineData("{ resources: [pods/exec, pods/attach], commands: [echo] }", "'commands' decides exec requests alone: the same kubernetes match must name pods/exec in 'resources' (or exec in 'subresources') and no other subresource; write attach and the others in another rule")]
    [InlineData("{ resources: [\"pods/*\"], commands: [echo] }", "'commands' decides exec requests alone: the same kubernetes match must name pods/exec in 'resources' (or exec in 'subresources') and no other subresource; write attach and the others in another rule")]
    [InlineData("{ resources: [pods], subresources: [exec, attach], commands: [echo] }", "'commands' decides exec requests alone: the same kubernetes match must name pods/exec in 'resources' (or exec in 'subresources') and no other subresource; write attach and the others in another rule")]
    [InlineData("{ non_resource_paths: [/version], commands: [echo] }", "'non_resource_paths' is for requests without a resource (/version, /healthz), so it cannot stand with 'commands'; write two rules")]
    public void Invalid_commands_are_refused_with_file_line_and_problem(string kubernetes, string problem)
    {
        var e = Assert.Throws<PolicyLoadException>(() => Load(Rule("r", "deny", kubernetes)));

        Assert.Equal($"k.yaml:6: {problem}", e.Message);
    }
}
