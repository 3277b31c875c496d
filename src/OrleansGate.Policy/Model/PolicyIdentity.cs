namespace OrleansGate.Policy.Model;

/// <summary>
/// Who is asking: the verified issuer and subject, its groups and the claims carried with it (claim name → its
/// values; a string claim has one value). <paramref name="UnreadableClaims"/> names claims the token has but the
/// gateway could not carry (objects, oversized values): deny and approve rules keyed on them match, allow rules do not.
/// </summary>
public sealed record PolicyIdentity(
    string Subject,
    IReadOnlyList<string> Groups,
    IReadOnlyDictionary<string, IReadOnlyList<string>>? Claims = null,
    string Issuer = "",
    IReadOnlySet<string>? UnreadableClaims = null)
{
    /// <summary>The identity a validated token carries, as rules match it (once per session).</summary>
    public static PolicyIdentity From(AgentIdentity agent)
    {
        ArgumentNullException.ThrowIfNull(agent);
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
}
