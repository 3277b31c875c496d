using OrleansGate.Model;
using OrleansGate.Policy.Evaluation;
using OrleansGate.Policy.Model;

namespace OrleansGate.Edge.Decisions;

/// <summary>
/// Decides one SQL request on this edge, with its copy of the cluster policy: the gateway's own refusals first (the
/// function-call message, unparsable text, the lexical-settings guard), then the rules (deny over approve over allow;
/// no matching rule denies). Every decision names the policy version that made it. A decision is shared: the same rule
/// under the same version gives the same instance, so a cached statement costs no allocation here.
/// </summary>
public sealed class EdgeDecider(EdgePolicy policy)
{
    /// <summary>The policy version this edge decides with (0: none).</summary>
    public long PolicyVersion => policy.Version;

    public Decision Decide(PolicyIdentity identity, string target, StatementSource source, SqlAction action)
    {
        ArgumentNullException.ThrowIfNull(action);
        if (policy.TryGet() is not { } entry)
        {
            return new Decision(DecisionEffect.Unavailable, GatewayRules.PolicyUnavailable, policy.UnavailableReason, 0, 0);
        }

        if (source == StatementSource.FunctionCall)
        {
            return entry.Refusal(GatewayRules.FunctionCall, "the function-call message names a function by OID, out of the policy's sight, and is not allowed");
        }

        if (!action.Parsed)
        {
            return entry.Refusal(GatewayRules.Unparsable, $"the statement could not be parsed ({action.ParseError}); what cannot be parsed is refused, never guessed");
        }

        if (action.GuardRefusal is { } guard)
        {
            return entry.Refusal(GatewayRules.LexicalSettings, guard);
        }

        return entry.DecisionOf(PolicyEvaluator.FindRule(entry.Policy, identity, target, action));
    }

    /// <summary>
    /// The masks that apply to <paramref name="identity"/> on <paramref name="target"/>, in policy order, under the policy this
    /// edge decides with (its version in <paramref name="policyVersion"/>); empty when none, or when no policy is loaded
    /// (statements are then refused by <see cref="Decide"/> anyway).
    /// </summary>
    public IReadOnlyList<PolicyMask> MasksFor(PolicyIdentity identity, string target, out long policyVersion)
    {
        if (policy.TryGet() is not { } entry)
        {
            policyVersion = 0;
            return [];
        }

        policyVersion = entry.Version;
        return entry.Policy.Masks.Count == 0 ? [] : PolicyEvaluator.MasksFor(entry.Policy, identity, target);
    }

    /// <summary>
    /// The cluster-wide limits on <paramref name="identity"/> under the policy this edge decides with (its version in
    /// <paramref name="policyVersion"/>); none when no policy is loaded (statements are refused by <see cref="Decide"/> anyway).
    /// </summary>
    public AgentLimits LimitsFor(PolicyIdentity identity, out long policyVersion)
    {
        if (policy.TryGet() is not { } entry)
        {
            policyVersion = 0;
            return AgentLimits.None;
        }

        policyVersion = entry.Version;
        return PolicyEvaluator.LimitsFor(entry.Policy, identity);
    }

    /// <summary>A refusal of the edge's own bookkeeping, naming the version this edge decides with (0 when none).</summary>
    public Decision Refusal(string rule, string reason) =>
        policy.TryGet() is { } entry ? entry.Refusal(rule, reason) : new Decision(DecisionEffect.Deny, rule, reason, policy.Version, 0);

    /// <summary>
    /// The approval settings behind an approve <paramref name="decision"/>, from the policy version that made it; null when
    /// this edge no longer holds that version (the request is then refused: it is not asked for under other terms).
    /// </summary>
    public ApprovalTerms? TermsOf(Decision decision)
    {
        ArgumentNullException.ThrowIfNull(decision);
        return policy.TryGet() is { } entry && entry.Version == decision.PolicyVersion ? entry.TermsOf(decision.Rule) : null;
    }
}
