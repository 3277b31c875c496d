using System.Globalization;
using System.Text.Json;
using OrleansGate.Model;

namespace OrleansGate.Edge.Identity;

/// <summary>
/// Reads a verified token's claims into the bounded form policy rules match on (<see cref="AgentClaim"/>).
/// The registered claims are carried elsewhere (issuer, subject) or mean nothing to a rule, so they are left out
/// (the policy loader refuses rules on them). Claim values are never logged.
/// </summary>
internal static class TokenClaims
{
    // Kept in step with PolicyLoader's list of claims a rule may not name.
    private static readonly HashSet<string> Registered = new(StringComparer.Ordinal) { "iss", "sub", "aud", "exp", "nbf", "iat", "jti" };

    /// <summary>The claims to carry, or null with a refusal reason when the token has more (or longer-named) claims than the caps allow.</summary>
    public static IReadOnlyList<AgentClaim>? Read(JsonElement payload, out string? refusal)
    {
        refusal = null;
        var claims = new List<AgentClaim>();
        foreach (var property in payload.EnumerateObject())
        {
            if (Registered.Contains(property.Name))
            {
                continue;
            }

            // Refused rather than cut short: a deny rule keyed on a dropped claim would silently stop matching.
            if (claims.Count == AgentClaim.MaxClaims)
            {
                refusal = $"too many claims (more than {AgentClaim.MaxClaims})";
                return null;
            }

            if (property.Name.Length > AgentClaim.MaxNameLength)
            {
                refusal = $"claim name longer than {AgentClaim.MaxNameLength} characters";
                return null;
            }

            claims.Add(ReadClaim(property.Name, property.Value));
        }

        return claims;
    }

    private static AgentClaim ReadClaim(string name, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            return TryReadScalar(value, out var single) ? new AgentClaim(name, new[] { single }) : Unreadable(name);
        }

        if (value.GetArrayLength() > AgentClaim.MaxValues)
        {
            return Unreadable(name);
        }

        var values = new List<string>(value.GetArrayLength());
        foreach (var item in value.EnumerateArray())
        {
            if (!TryReadScalar(item, out var text))
            {
                return Unreadable(name);
            }

            values.Add(text);
        }

        return new AgentClaim(name, values);
    }

    private static bool TryReadScalar(JsonElement value, out string text)
    {
        text = value.ValueKind switch
        {
            JsonValueKind.String => value.GetString()!,
            JsonValueKind.Number => value.TryGetInt64(out var integer) ? integer.ToString(CultureInfo.InvariantCulture) : value.GetRawText(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            _ => "",
        };
        return value.ValueKind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False
            && text.Length <= AgentClaim.MaxValueLength;
    }

    private static AgentClaim Unreadable(string name) => new(name, Array.Empty<string>(), Unreadable: true);
}
