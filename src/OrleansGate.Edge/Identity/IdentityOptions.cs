namespace OrleansGate.Edge.Identity;

/// <summary>Token validation settings, bound from <c>OrleansGate:Identity</c>.</summary>
public sealed class IdentityOptions
{
    /// <summary>The issuers whose tokens are accepted. A token naming any other issuer is refused.</summary>
    public List<IssuerOptions> Issuers { get; set; } = [];
}
