namespace OrleansGate.Model;

/// <summary>An approve rule's settings (<c>approval:</c> in the policy), carried with each request it holds.</summary>
/// <param name="ApproverGroups">Groups (from the approver's token) whose members may decide.</param>
/// <param name="Required">How many distinct approvers must approve; one deny decides.</param>
/// <param name="Timeout">How long the request waits for a decision before it expires.</param>
/// <param name="MaxReuseWindow">The longest window an approver may grant (zero when <paramref name="Reuse"/> is none).</param>
[GenerateSerializer, Immutable]
public sealed record ApprovalTerms(
    [property: Id(0)] IReadOnlyList<string> ApproverGroups,
    [property: Id(1)] int Required,
    [property: Id(2)] ApprovalMode Mode,
    [property: Id(3)] TimeSpan Timeout,
    [property: Id(4)] ApprovalReuse Reuse,
    [property: Id(5)] TimeSpan MaxReuseWindow);
