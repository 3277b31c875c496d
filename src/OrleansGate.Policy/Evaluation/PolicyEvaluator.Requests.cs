using OrleansGate.Policy.Model;

namespace OrleansGate.Policy.Evaluation;

public static partial class PolicyEvaluator
{
    /// <summary>
    /// Decides one Kubernetes API request to <paramref name="target"/> as statements are decided: deny overrides approve
    /// overrides allow, and no matching rule means deny. Rules with a <c>kubernetes:</c> match and rules that name only
    /// who asks and where take part; SQL and <c>http:</c> rules never do.
    /// </summary>
    public static PolicyDecision Decide(CompiledPolicy policy, PolicyIdentity identity, string target, KubernetesRequestFacts request) =>
        RequestDecision(policy, FindRule(policy, identity, target, request));

    /// <summary>Decides one request to an HTTP target; as <see cref="Decide(CompiledPolicy, PolicyIdentity, string, KubernetesRequestFacts)"/> with <c>http:</c> rules.</summary>
    public static PolicyDecision Decide(CompiledPolicy policy, PolicyIdentity identity, string target, HttpRequestFacts request) =>
        RequestDecision(policy, FindRule(policy, identity, target, request));

    /// <summary>The rule that decides a Kubernetes request (null: none matches, so deny), for a caller that maps rules to decisions made once.</summary>
    public static PolicyRule? FindRule(CompiledPolicy policy, PolicyIdentity identity, string target, KubernetesRequestFacts request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return FindRequestRule(policy, identity, target, RuleProtocol.Kubernetes, request,
            static (rule, request, allow) => rule.Kubernetes is { } match ? RequestRules.Matches(match, request, allow)
                // A rule on who and where only: a deny or approve matches every request, an allow covers what `kubernetes: {}` does.
                : !allow || RequestRules.Matches(RequestRules.AnyResource, request, allow));
    }

    /// <summary>The rule that decides a request to an HTTP target (null: none matches, so deny).</summary>
    public static PolicyRule? FindRule(CompiledPolicy policy, PolicyIdentity identity, string target, HttpRequestFacts request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return FindRequestRule(policy, identity, target, RuleProtocol.Http, request,
            static (rule, request, _) => rule.Http is null || RequestRules.Matches(rule.Http, request));
    }

    private static PolicyRule? FindRequestRule<TRequest>(
        CompiledPolicy policy,
        PolicyIdentity identity,
        string target,
        RuleProtocol protocol,
        TRequest request,
        Func<PolicyRule, TRequest, bool, bool> matches)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(identity);
        PolicyRule? best = null;
        var rules = policy.Rules;
        for (var i = 0; i < rules.Count; i++)
        {
            var rule = rules[i];
            if ((best is null || rule.Effect > best.Effect)
                && rule.Protocol is var applies && (applies == RuleProtocol.Any || applies == protocol)
                && IdentityMatches(rule, identity)
                && (rule.Targets.Count == 0 || Glob.AnyMatch(rule.Targets, target))
                && matches(rule, request, rule.Effect == PolicyEffect.Allow))
            {
                best = rule;
                if (best.Effect == PolicyEffect.Deny)
                {
                    break;
                }
            }
        }

        return best;
    }

    private static PolicyDecision RequestDecision(CompiledPolicy policy, PolicyRule? rule) => rule is null
        ? new PolicyDecision(PolicyEffect.Deny, NoMatchRule, "no policy rule allows this request", policy.Version)
        : new PolicyDecision(rule.Effect, rule.Name, rule.Reason, policy.Version) { RevealSecrets = rule.RevealSecrets && rule.Effect != PolicyEffect.Deny };
}
