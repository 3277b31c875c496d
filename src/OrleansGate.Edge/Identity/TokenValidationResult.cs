using OrleansGate.Model;

namespace OrleansGate.Edge.Identity;

/// <summary>The outcome of validating an agent's token: either who the agent is, or why it was refused.</summary>
public abstract record TokenValidationResult
{
    private TokenValidationResult()
    {
    }

    /// <summary>The token is authentic and current.</summary>
    /// <param name="Agent">Issuer, subject and groups taken from the verified token.</param>
    /// <param name="TokenId">The <c>jti</c> claim, when the issuer sets one (used for revocation).</param>
    /// <param name="Expires">The token's <c>exp</c>: sessions authenticated by it end no later than this.</param>
    public sealed record Valid(AgentIdentity Agent, string? TokenId, DateTimeOffset Expires) : TokenValidationResult
    {
        /// <summary>How often the issuer lets this token (by <see cref="TokenId"/>) open a session; enforced by the agent grain.</summary>
        public TokenReuse Reuse { get; init; } = TokenReuse.Allowed;
    }

    /// <summary>The token was refused.</summary>
    /// <param name="Reason">Safe to log and to show the client: never contains the token or key material.</param>
    public sealed record Invalid(string Reason) : TokenValidationResult;
}
