namespace OrleansGate.Model;

/// <summary>What the gateway does with a request. Order matters: a higher value overrides a lower one.</summary>
public enum DecisionEffect
{
    Allow = 0,
    Approve = 1,
    Deny = 2,

    /// <summary>Refused because something the decision depends on (audit store, policy, parser) is unavailable: fail closed.</summary>
    Unavailable = 3,
}

/// <summary>
/// The answer to one request, with the rule and policy version that made it. <see cref="PolicyVersion"/> is the
/// cluster's version number (0 = no policy); <see cref="PolicyLabel"/> the file's own label, for people.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record Decision(
    [property: Id(0)] DecisionEffect Effect,
    [property: Id(1)] string Rule,
    [property: Id(2)] string Reason,
    [property: Id(3)] long PolicyVersion,
    [property: Id(4)] long AuditSequence,
    [property: Id(5)] string? PolicyLabel = null)
{
    public bool IsAllowed => Effect == DecisionEffect.Allow;
}
