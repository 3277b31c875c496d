using OrleansGate.Model;
using OrleansGate.Policy.Classification;
using OrleansGate.Policy.Model;

namespace OrleansGate.Policy.Evaluation;

/// <summary>
/// Decides one classified statement against a compiled policy: deny overrides approve overrides
/// allow, and no matching rule means deny. Stateless and allocation-light so the session can call
/// it per statement. Kubernetes and HTTP requests are decided the same way (PolicyEvaluator.Requests.cs).
/// </summary>
public static partial class PolicyEvaluator
{
    public const string NoMatchRule = GatewayRules.NoMatch;

    /// <summary>What the offline evaluator names unparsable text (the session names it <see cref="GatewayRules.Unparsable"/> first).</summary>
    public const string UnparsableRule = "unparsable";

    /// <summary>The same for a classification (the offline tools and tests): its <see cref="StatementClassification.Action"/>.</summary>
    public static PolicyDecision Decide(CompiledPolicy policy, PolicyIdentity identity, string target, StatementClassification statement)
    {
        ArgumentNullException.ThrowIfNull(statement);
        return Decide(policy, identity, target, statement.Action);
    }

    public static PolicyDecision Decide(
        CompiledPolicy policy,
        PolicyIdentity identity,
        string target,
        SqlAction statement)
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

        var best = FindRule(policy, identity, target, statement);
        return best is null
            ? new PolicyDecision(PolicyEffect.Deny, NoMatchRule, "no policy rule allows this statement", policy.Version)
            : new PolicyDecision(best.Effect, best.Name, best.Reason, policy.Version);
    }

    /// <summary>
    /// The rule that decides a parsed statement the lexical guard lets through (deny over approve over allow), or null
    /// when none matches (deny). Allocates nothing: the per-statement path maps the rule to a decision made once.
    /// </summary>
    public static PolicyRule? FindRule(CompiledPolicy policy, PolicyIdentity identity, string target, SqlAction statement)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(statement);
        PolicyRule? best = null;
        var rules = policy.Rules;
        for (var i = 0; i < rules.Count; i++)
        {
            var rule = rules[i];
            if ((best is null || rule.Effect > best.Effect)
                && rule.Kubernetes is null && rule.Http is null && rule.Ssh is null // a rule for HTTP requests or SSH command lines never decides a statement
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

        return best;
    }

    /// <summary>The first of the policy's masks that applies to <paramref name="identity"/> on <paramref name="target"/>, or null.</summary>
    public static PolicyMask? FirstMask(CompiledPolicy policy, PolicyIdentity identity, string target) =>
        MasksFor(policy, identity, target) is [var first, ..] ? first : null;

    /// <summary>Every mask whose match covers this identity and target, in policy order.</summary>
    public static IReadOnlyList<PolicyMask> MasksFor(CompiledPolicy policy, PolicyIdentity identity, string target)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(identity);
        List<PolicyMask>? found = null;
        foreach (var mask in policy.Masks)
        {
            var match = mask.Match;
            if (IdentityMatches(match, identity) && (match.Targets.Count == 0 || Glob.AnyMatch(match.Targets, target)))
            {
                (found ??= []).Add(mask);
            }
        }

        return found ?? (IReadOnlyList<PolicyMask>)[];
    }

    /// <summary>
    /// The cluster-wide limits on <paramref name="identity"/>: for each kind, the most restrictive of the matching
    /// <c>limits:</c> entries (the lowest rate, the fewest sessions; for a rows budget the fewest rows per second on average,
    /// max ÷ window, then the smaller max), each naming the entry that set it.
    /// </summary>
    public static AgentLimits LimitsFor(CompiledPolicy policy, PolicyIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(identity);
        if (policy.Limits.Count == 0)
        {
            return AgentLimits.None;
        }

        StatementRateLimit? statements = null;
        SessionLimit? sessions = null;
        RowBudgetLimit? rowsRead = null, rowsChanged = null;
        foreach (var limit in policy.Limits)
        {
            if (!IdentityMatches(limit.Match, identity))
            {
                continue;
            }

            if (limit.StatementsPerSecond is { } rate && (statements is null || rate < statements.PerSecond))
            {
                statements = new StatementRateLimit(limit.Name, rate);
            }

            if (limit.Sessions is { } max && (sessions is null || max < sessions.Max))
            {
                sessions = new SessionLimit(limit.Name, max);
            }

            rowsRead = Tighter(rowsRead, limit.Name, limit.RowsRead);
            rowsChanged = Tighter(rowsChanged, limit.Name, limit.RowsChanged);
        }

        return statements is null && sessions is null && rowsRead is null && rowsChanged is null
            ? AgentLimits.None
            : new AgentLimits(statements, sessions, rowsRead, rowsChanged);
    }

    private static RowBudgetLimit? Tighter(RowBudgetLimit? current, string name, RowBudget? candidate)
    {
        if (candidate is null)
        {
            return current;
        }

        if (current is not null)
        {
            var (have, offered) = (current.Max / current.Window.TotalSeconds, candidate.Max / candidate.Window.TotalSeconds);
            if (have < offered || (have == offered && current.Max <= candidate.Max))
            {
                return current;
            }
        }

        return new RowBudgetLimit(name, candidate.Max, candidate.Window);
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

        if (rule.Groups.Count > 0 && !AnyGroupMatches(rule.Groups, identity.Groups))
        {
            return false;
        }

        if (rule.Claims.Count == 0)
        {
            return true;
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
        for (var i = 0; i < values.Count; i++)
        {
            if (Glob.IsMatch(pattern, values[i]))
            {
                return true;
            }
        }

        return false;
    }

    private static bool AnyGroupMatches(IReadOnlyList<string> patterns, IReadOnlyList<string> groups)
    {
        for (var i = 0; i < patterns.Count; i++)
        {
            if (AnyValueMatches(patterns[i], groups))
            {
                return true;
            }
        }

        return false;
    }

    private static bool ContainsOrdinal(IReadOnlyList<string> values, string value)
    {
        for (var i = 0; i < values.Count; i++)
        {
            if (string.Equals(values[i], value, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>An allow rule must account for everything the statement does.</summary>
    private static bool Covers(PolicyRule rule, SqlAction s)
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
            if (!ContainsOrdinal(rule.FunctionGroups, group))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A deny/approve rule matches when the statement does any of what it names.</summary>
    private static bool Touches(PolicyRule rule, SqlAction s)
    {
        if (rule.UnboundedWriteOnly && !s.HasUnboundedWrite)
        {
            return false;
        }

        if (rule.Kinds != StatementKind.None && (s.Kinds & rule.Kinds) == StatementKind.None)
        {
            return false;
        }

        if (rule.Relations.Count > 0 && !AnyRelationMatch(rule.Relations, s.RelationsRead, s.RelationsWritten, s.RelationsLocked))
        {
            return false;
        }

        if (rule.Functions.Count > 0 && !AnyRelationMatch(rule.Functions, s.Functions))
        {
            return false;
        }

        if (rule.FunctionGroups.Count > 0 && !AnyIn(rule.FunctionGroups, s.DangerousFunctionGroups))
        {
            return false;
        }

        return true;
    }

    private static bool AnyIn(IReadOnlyList<string> wanted, string[] present)
    {
        foreach (var name in present)
        {
            if (ContainsOrdinal(wanted, name))
            {
                return true;
            }
        }

        return false;
    }

    private static bool AllMatch(IReadOnlyList<string> patterns, params ReadOnlySpan<string[]> sets)
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

    /// <summary>
    /// As <see cref="AnyMatch"/> for a deny or approve rule's relations and functions, where a name the statement does
    /// not qualify (<c>orders</c>, <c>f()</c>) may be any schema's, as <c>search_path</c> resolves it: it is touched by a
    /// pattern whose last part matches it (<c>public.orders</c>, <c>*.ord*</c>). An allow still covers such a name only
    /// as written.
    /// </summary>
    private static bool AnyRelationMatch(IReadOnlyList<string> patterns, params ReadOnlySpan<string[]> sets)
    {
        foreach (var set in sets)
        {
            foreach (var name in set)
            {
                if (Glob.AnyMatch(patterns, name))
                {
                    return true;
                }

                if (name.Contains('.', StringComparison.Ordinal))
                {
                    continue;
                }

                foreach (var pattern in patterns)
                {
                    var dot = pattern.LastIndexOf('.');
                    if (dot >= 0 && Glob.IsMatch(pattern[(dot + 1)..], name))
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    private static bool AnyMatch(IReadOnlyList<string> patterns, params ReadOnlySpan<string[]> sets)
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
