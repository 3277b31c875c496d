namespace OrleansGate.Edge.Identity;

/// <summary>Turns an agent's bearer token into an identity, or refuses it.</summary>
public interface ITokenValidator
{
    /// <summary>Validates <paramref name="token"/>; never throws for a bad token, only for cancellation.</summary>
    ValueTask<TokenValidationResult> ValidateAsync(string token, CancellationToken cancellationToken);
}
