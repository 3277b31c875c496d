using System.Collections.Frozen;
using System.Runtime.CompilerServices;
using OrleansGate.Model;
using OrleansGate.Policy.Classification;
using OrleansGate.Policy.Evaluation;
using OrleansGate.Policy.Model;

namespace OrleansGate.Grains.Policy;

/// <summary>
/// Decides one statement of one session with this silo's cached policy: the gateway's built-in refusals
/// first, then the policy (deny over approve over allow; no matching rule denies). Every decision carries
/// the cluster policy version that made it.
/// </summary>
public sealed class PolicyDecider(PolicyCache cache)
{
    public const string ApprovalUnavailable =
        "this rule requires a human's approval, and the approval workflow is not available yet, so the statement is refused";

    /// <summary>
    /// Summaries arrive as the same instance for a repeated statement when the edge is on this silo (immutable
    /// grain arguments are not copied), so the conversion back to a classification is paid once per text.
    /// </summary>
    private readonly ConditionalWeakTable<StatementSummary, StatementClassification> _classifications = [];

    private readonly ConditionalWeakTable<AgentIdentity, PolicyIdentity> _identities = [];

    public async ValueTask<Decision> DecideAsync(SessionInfo session, StatementRequest request)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(request);
        if (request.Source == StatementSource.FunctionCall)
        {
            return GatewayRefusal("gateway:function-call", "the function-call message names a function by OID, out of the policy's sight, and is not allowed");
        }

        if (!request.Statement.Parsed)
        {
            return GatewayRefusal("gateway:unparsable", $"the statement could not be parsed ({request.Statement.ParseError}); what cannot be parsed is refused, never guessed");
        }

        if (await cache.GetAsync() is not { } entry)
        {
            return new Decision(DecisionEffect.Unavailable, "gateway:policy-unavailable", cache.UnavailableReason, 0, 0);
        }

        var classification = _classifications.GetValue(request.Statement, ToClassification);
        var identity = _identities.GetValue(session.Agent, ToIdentity);
        var decision = PolicyEvaluator.Decide(entry.Policy, identity, session.Target, classification);
        return decision.Effect switch
        {
            PolicyEffect.Allow => new Decision(DecisionEffect.Allow, decision.Rule, decision.Reason, entry.Version, 0, decision.PolicyVersion),
            PolicyEffect.Approve => new Decision(DecisionEffect.Deny, decision.Rule, $"{decision.Reason} ({ApprovalUnavailable})", entry.Version, 0, decision.PolicyVersion),
            _ => new Decision(DecisionEffect.Deny, decision.Rule, decision.Reason, entry.Version, 0, decision.PolicyVersion),
        };
    }

    /// <summary>A refusal made before the policy is consulted still names the version in force (not "version 0").</summary>
    private Decision GatewayRefusal(string rule, string reason) => cache.Current is { } entry
        ? new Decision(DecisionEffect.Deny, rule, reason, entry.Version, 0, entry.Policy.Version)
        : new Decision(DecisionEffect.Deny, rule, reason, 0, 0);

    /// <summary>Once per session's identity (the table keys on the instance the session grain holds).</summary>
    private static PolicyIdentity ToIdentity(AgentIdentity agent)
    {
        var claims = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        HashSet<string>? unreadable = null;
        foreach (var claim in agent.Claims ?? [])
        {
            if (claim.Unreadable)
            {
                (unreadable ??= new HashSet<string>(StringComparer.Ordinal)).Add(claim.Name);
            }
            else
            {
                claims[claim.Name] = claim.Values;
            }
        }

        return new PolicyIdentity(agent.Subject, agent.Groups, claims, agent.Issuer, unreadable);
    }

    /// <summary>The edge's summary back into what the evaluator reads. Unknown kind names become Other (most restrictive).</summary>
    private static StatementClassification ToClassification(StatementSummary s) => new()
    {
        Parsed = s.Parsed,
        ParseError = s.ParseError,
        Kinds = ParseKinds(s.Kinds),
        RelationsRead = s.RelationsRead.ToFrozenSet(StringComparer.Ordinal),
        RelationsWritten = s.RelationsWritten.ToFrozenSet(StringComparer.Ordinal),
        RelationsLocked = (s.RelationsLocked ?? []).ToFrozenSet(StringComparer.Ordinal),
        Functions = s.Functions.ToFrozenSet(StringComparer.Ordinal),
        DangerousFunctionGroups = s.DangerousFunctionGroups.ToFrozenSet(StringComparer.Ordinal),
        HasUnboundedWrite = s.HasUnboundedWrite,
        GuardRefusal = s.GuardRefusal,
        Fingerprint = s.Fingerprint,
        NormalizedSql = s.NormalizedSql,
    };

    private static StatementKind ParseKinds(string kinds)
    {
        var result = StatementKind.None;
        foreach (var part in kinds.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            result |= Enum.TryParse<StatementKind>(part, ignoreCase: false, out var kind) && Enum.IsDefined(kind) ? kind : StatementKind.Other;
        }

        return result;
    }
}
