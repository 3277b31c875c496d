namespace OrleansGate.Model;

/// <summary>
/// Who a request is: the token's issuer and subject, its groups and its other claims (bounded; see
/// <see cref="AgentClaim"/>). Never carries the token itself. Sent once per session (session open), never per statement.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record AgentIdentity(
    [property: Id(0)] string Issuer,
    [property: Id(1)] string Subject,
    [property: Id(2)] IReadOnlyList<string> Groups,
    [property: Id(3)] IReadOnlyList<AgentClaim>? Claims = null)
{
    /// <summary>The agent grain key: issuer and subject, separated by '|', which neither a URL issuer nor a subject normally contains.</summary>
    public string GrainKey => $"{Issuer}|{Subject}";
}
