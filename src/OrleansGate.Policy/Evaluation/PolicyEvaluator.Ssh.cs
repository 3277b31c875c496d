using OrleansGate.Policy.Model;

namespace OrleansGate.Policy.Evaluation;

public static partial class PolicyEvaluator
{
    /// <summary>
    /// Decides one command line sent to the SSH target <paramref name="target"/>: a line the parser refused, or one that
    /// runs nothing (which would open a login shell), is denied whatever the rules; otherwise deny overrides approve
    /// overrides allow, and no matching rule means deny. Rules with an <c>ssh:</c> match and deny or approve rules that
    /// name only who asks and where take part; an allow without an <c>ssh:</c> match never allows a command line.
    /// </summary>
    public static PolicyDecision Decide(CompiledPolicy policy, PolicyIdentity identity, string target, SshCommandFacts command)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(command);
        if (command.Refusal is { } refusal)
        {
            return new PolicyDecision(PolicyEffect.Deny, UnparsableRule, $"the command line cannot be judged: {refusal}", policy.Version);
        }

        if (command.Commands.Count == 0)
        {
            return new PolicyDecision(PolicyEffect.Deny, UnparsableRule, "the command line runs no command (an empty command opens a login shell)", policy.Version);
        }

        var rule = FindRule(policy, identity, target, command);
        return rule is null
            ? new PolicyDecision(PolicyEffect.Deny, NoMatchRule, "no policy rule allows this command line", policy.Version)
            : new PolicyDecision(rule.Effect, rule.Name, rule.Reason, policy.Version);
    }

    /// <summary>The rule that decides a command line (null: none matches, or the line cannot be judged; so deny).</summary>
    public static PolicyRule? FindRule(CompiledPolicy policy, PolicyIdentity identity, string target, SshCommandFacts command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.Refusal is not null || command.Commands.Count == 0)
        {
            return null;
        }

        return FindRequestRule(policy, identity, target, RuleProtocol.Ssh, command,
            static (rule, command, allow) => rule.Ssh is { } match
                ? allow ? SshRules.CoversAll(match, command.Commands) : SshRules.TouchesAny(match, command.Commands)
                // A rule on who and where only: a deny or approve matches every line; an allow covers none, since
                // "any command" on a host is a shell, and a policy should say so with `ssh: { commands: ["**"] }`.
                : !allow);
    }

    /// <summary>
    /// Whether any allow or approve rule that <paramref name="identity"/> could ever match applies to
    /// <paramref name="protocol"/> (a rule of protocol Any counts, but for <see cref="RuleProtocol.Ssh"/> only as an
    /// approve, since an allow without <c>ssh:</c> allows no command line) and, when <paramref name="target"/> is given,
    /// to that target. Used to list the tools a caller may use; the decision per request is still made by Decide.
    /// </summary>
    public static bool MayEverAllow(CompiledPolicy policy, PolicyIdentity identity, RuleProtocol protocol, string? target = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(identity);
        foreach (var rule in policy.Rules)
        {
            var applies = rule.Protocol;
            if (rule.Effect == PolicyEffect.Deny
                || (applies != protocol && applies != RuleProtocol.Any)
                || (applies == RuleProtocol.Any && protocol == RuleProtocol.Ssh && rule.Effect == PolicyEffect.Allow)
                || !IdentityMatches(rule, identity)
                || (target is not null && rule.Targets.Count > 0 && !Glob.AnyMatch(rule.Targets, target)))
            {
                continue;
            }

            return true;
        }

        return false;
    }
}
