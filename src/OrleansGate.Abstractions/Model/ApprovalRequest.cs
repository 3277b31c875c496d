namespace OrleansGate.Model;

/// <summary>
/// A request an approve rule holds, as approvers see it: protocol-neutral (a PostgreSQL statement today; a Kubernetes or
/// SSH request later). <see cref="Text"/> is the request in full (literal values included, for the approvers); it is kept
/// only in the approval's own state until shortly after the decision, and never logged or audited.
/// </summary>
/// <param name="Fingerprint">The normalised form's fingerprint (what <see cref="ApprovalReuse.Shape"/> reuses).</param>
/// <param name="Normalized">The text with literals replaced: what the audit keeps.</param>
[GenerateSerializer, Immutable]
public sealed record ApprovalRequest(
    [property: Id(0)] AgentIdentity Agent,
    [property: Id(1)] string Target,
    [property: Id(2)] string Protocol,
    [property: Id(3)] string Text,
    [property: Id(4)] string Normalized,
    [property: Id(5)] string Fingerprint,
    [property: Id(6)] string Rule,
    [property: Id(7)] string Reason,
    [property: Id(8)] long PolicyVersion,
    [property: Id(9)] ApprovalTerms Terms,
    [property: Id(10)] string SessionId,
    [property: Id(11)] string EdgeNode)
{
    /// <summary>Statement kinds as the classifier names them, for the approvers and the audit.</summary>
    [Id(12)] public string? Kinds { get; init; }
}
