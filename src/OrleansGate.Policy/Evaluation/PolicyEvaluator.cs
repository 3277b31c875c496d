using OrleansGate.Policy.Classification;
using OrleansGate.Policy.Model;

namespace OrleansGate.Policy.Evaluation;

/// <summary>
/// Decides one classified statement against a compiled policy: deny overrides approve overrides
/// allow, and no matching rule means deny. Stateless and allocation-light so the session can call
/// it per statement.
/// </summary>
public static class PolicyEvaluator
{
    public const string NoMatchRule = "default-deny";

    public const string UnparsableRule = "unparsable";

    public static PolicyDecision Decide(
        CompiledPolicy policy,
        PolicyIdentity identity,
        string target,
        StatementClassification statement)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(statement);

        // Never guess what unparsed text does.
        if (!statement.Parsed)
        {
            return new PolicyDecision(PolicyEffect.Deny, UnparsableRule, "statement could not be parsed", policy.Version);
        }

        // A built-in guard no rule overrides: the statement would change how the target reads statement text.
        if (statement.GuardRefusal is { } guard)
        {
            return new PolicyDecision(PolicyEffect.Deny, LexicalSettings.GuardRule, guard, policy.Version);
        }

        PolicyRule? best = null;
        foreach (var rule in policy.Rules)
        {
            if ((best is null || rule.Effect > best.Effect)
                && IdentityMatches(rule, identity)
                && (rule.Targets.Count == 0 || Glob.AnyMatch(rule.Targets, target))
                && (rule.Effect == PolicyEffect.Allow ? Covers(rule, statement) : Touches(rule, statement)))
            {
                best = rule;
                if (best.Effect == PolicyEffect.Deny)
                {
                    break;
                }
            }
        }

        return best is null
            ? new PolicyDecision(PolicyEffect.Deny, NoMatchRule, "no policy rule allows this statement", policy.Version)
            : new PolicyDecision(best.Effect, best.Name, best.Reason, policy.Version);
    }

    private static bool IdentityMatches(PolicyRule rule, PolicyIdentity identity)
    {
        if (rule.Issuers.Count > 0 && !Glob.AnyMatch(rule.Issuers, identity.Issuer))
        {
            return false;
        }

        if (rule.Subjects.Count > 0 && !Glob.AnyMatch(rule.Subjects, identity.Subject))
        {
            return false;
        }

        if (rule.Groups.Count > 0 && !rule.Groups.Any(g => identity.Groups.Any(ig => Glob.IsMatch(g, ig))))
        {
            return false;
        }

        foreach (var (claim, expected) in rule.Claims)
        {
            // A claim the token has but the gateway could not carry: fail closed (deny/approve match, allow does not).
            if (identity.UnreadableClaims is { } unreadable && unreadable.Contains(claim))
            {
                if (rule.Effect == PolicyEffect.Allow)
                {
                    return false;
                }

                continue;
            }

            if (identity.Claims is null || !identity.Claims.TryGetValue(claim, out var values) || !AnyValueMatches(expected, values))
            {
                return false;
            }
        }

        return true;
    }

    private static bool AnyValueMatches(string pattern, IReadOnlyList<string> values)
    {
        foreach (var value in values)
        {
            if (Glob.IsMatch(pattern, value))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>An allow rule must account for everything the statement does.</summary>
    private static bool Covers(PolicyRule rule, StatementClassification s)
    {
        if (rule.UnboundedWriteOnly && !s.HasUnboundedWrite)
        {
            return false;
        }

        // An allow rule with no kinds still never allows the unknown bucket by accident.
        var allowedKinds = rule.Kinds == StatementKind.None ? ~StatementKind.Other : rule.Kinds;
        if ((s.Kinds & ~allowedKinds) != StatementKind.None)
        {
            return false;
        }

        if (rule.Relations.Count > 0 && !AllMatch(rule.Relations, s.RelationsRead, s.RelationsWritten, s.RelationsLocked))
        {
            return false;
        }

        if (rule.Functions.Count > 0 && !AllMatch(rule.Functions, s.Functions))
        {
            return false;
        }

        // Dangerous functions need explicit permission, even under a rule that names no functions.
        foreach (var group in s.DangerousFunctionGroups)
        {
            if (!rule.FunctionGroups.Contains(group, StringComparer.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A deny/approve rule matches when the statement does any of what it names.</summary>
    private static bool Touches(PolicyRule rule, StatementClassification s)
    {
        if (rule.UnboundedWriteOnly && !s.HasUnboundedWrite)
        {
            return false;
        }

        if (rule.Kinds != StatementKind.None && (s.Kinds & rule.Kinds) == StatementKind.None)
        {
            return false;
        }

        if (rule.Relations.Count > 0 && !AnyMatch(rule.Relations, s.RelationsRead, s.RelationsWritten, s.RelationsLocked))
        {
            return false;
        }

        if (rule.Functions.Count > 0 && !AnyMatch(rule.Functions, s.Functions))
        {
            return false;
        }

        if (rule.FunctionGroups.Count > 0 && !rule.FunctionGroups.Any(s.DangerousFunctionGroups.Contains))
        {
            return false;
        }

        return true;
    }

    private static bool AllMatch(IReadOnlyList<string> patterns, params IReadOnlySet<string>[] sets)
    {
        foreach (var set in sets)
        {
            foreach (var name in set)
            {
                if (!Glob.AnyMatch(patterns, name))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static bool AnyMatch(IReadOnlyList<string> patterns, params IReadOnlySet<string>[] sets)
    {
        foreach (var set in sets)
        {
            foreach (var name in set)
            {
                if (Glob.AnyMatch(patterns, name))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
