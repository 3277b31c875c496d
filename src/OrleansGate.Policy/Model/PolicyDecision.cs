namespace OrleansGate.Policy.Model;

/// <summary>The outcome for one statement, with the rule and policy version that made it.</summary>
public sealed record PolicyDecision(PolicyEffect Effect, string Rule, string Reason, string PolicyVersion)
{
    public bool IsAllowed => Effect == PolicyEffect.Allow;

    /// <summary>
    /// For a Kubernetes request let through (allowed, or approved): its rule has <c>reveal_secrets: true</c>, so Secret
    /// values (<c>data</c>, <c>stringData</c>, the last-applied annotation) are not masked. The policy's
    /// <c>kubernetes_masks</c> (<see cref="CompiledPolicy.KubernetesMasks"/>) apply either way.
    /// </summary>
    public bool RevealSecrets { get; init; }
}
