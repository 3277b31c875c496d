namespace OrleansGate.Policy.Model;

/// <summary>The outcome for one statement, with the rule and policy version that made it.</summary>
public sealed record PolicyDecision(PolicyEffect Effect, string Rule, string Reason, string PolicyVersion)
{
    public bool IsAllowed => Effect == PolicyEffect.Allow;
}
