using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OrleansGate.Model;

namespace OrleansGate.Edge.Identity;

/// <summary>
/// Validates an agent's OIDC access token (a JWS in compact form) against the configured issuers.
/// </summary>
/// <remarks>
/// <code>
///  token ──► 1. shape: ≤ 8 KiB, base64url + exactly two dots (JWE refused)
///            2. header: no jwk/jku/x5c/x5u/crit, alg present          (unverified)
///            3. iss ──► configured issuer (exact)                    (unverified)
///            4. alg ∈ issuer's allow-list (exact case); ECDSA r and s non-zero
///            5. issuer's keys ──► JsonWebTokenHandler: signature, iss, aud, exp/nbf
///            6. sub, required claims, jti, groups, other claims (bounded) ──► AgentIdentity
/// </code>
/// Steps 1–4 run before any cryptography so that hostile tokens are refused cheaply and can never steer
/// which key or algorithm is used. Every refusal is logged with its reason and the unverified
/// iss/sub/kid only — never the token.
/// </remarks>
public sealed partial class JwtTokenValidator : ITokenValidator
{
    private readonly Dictionary<string, IssuerOptions> _issuers;
    private readonly IIssuerKeySource _keys;
    private readonly TimeProvider _time;
    private readonly ILogger<JwtTokenValidator> _logger;
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };

    public JwtTokenValidator(IOptions<IdentityOptions> options, IIssuerKeySource keys, TimeProvider time, ILogger<JwtTokenValidator> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        IdentityOptionsValidator.ThrowIfInvalid(options.Value);
        _issuers = options.Value.Issuers.ToDictionary(i => i.Issuer, StringComparer.Ordinal);
        _keys = keys;
        _time = time;
        _logger = logger;
    }

    public async ValueTask<TokenValidationResult> ValidateAsync(string token, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (!UnverifiedJws.TryParse(token, out var jws, out var malformed))
        {
            return Reject(malformed, jws: null);
        }

        if (jws.Issuer is null)
        {
            return Reject("issuer missing", jws);
        }

        if (!_issuers.TryGetValue(jws.Issuer, out var issuer))
        {
            return Reject("unknown issuer", jws);
        }

        if (!issuer.Algorithms.Contains(jws.Algorithm, StringComparer.Ordinal))
        {
            return Reject(UntrustedText.IsDisplayableAlgorithm(jws.Algorithm) ? $"algorithm '{jws.Algorithm}' not allowed" : "algorithm not allowed", jws);
        }

        if (!jws.HasSignature)
        {
            return Reject("signature missing", jws);
        }

        if (EcdsaSignatureShape.Check(jws.Algorithm, token) is { } badSignature)
        {
            return Reject(badSignature, jws);
        }

        if (!string.IsNullOrEmpty(issuer.TokenType) && !IsTokenType(jws.Type, issuer.TokenType))
        {
            return Reject("token type (typ) not accepted", jws);
        }

        // The handler does not check iat against the clock. A token issued in the future was minted with a bad clock or
        // forged ahead of use; refusing before verification is safe, as acceptance still needs the signature.
        if (jws.Payload.TryGetProperty("iat", out var iat))
        {
            if (iat.ValueKind != JsonValueKind.Number || !iat.TryGetDouble(out var issuedAt))
            {
                return Reject("issued-at (iat) malformed", jws);
            }

            if (issuedAt > (_time.GetUtcNow() + issuer.ClockSkew).ToUnixTimeSeconds())
            {
                return Reject("issued-at (iat) in the future", jws);
            }
        }

        IReadOnlyList<SecurityKey> keys;
        try
        {
            keys = await _keys.GetSigningKeysAsync(issuer, jws.KeyId, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            // Fail closed: without the issuer's current keys nothing of theirs can be verified.
            LogKeysUnavailable(_logger, issuer.Issuer, ex);
            return Reject(KeysUnavailable(issuer), jws);
        }

        if (keys.Count == 0)
        {
            return Reject(KeysUnavailable(issuer), jws);
        }

        var result = await _handler.ValidateTokenAsync(token, CreateParameters(issuer, keys, tryAllKeys: jws.KeyId is null)).ConfigureAwait(false);
        if (!result.IsValid)
        {
            return Reject(Describe(result.Exception), jws, result.Exception?.GetType().Name);
        }

        return ReadIdentity(issuer, jws, (JsonWebToken)result.SecurityToken);
    }

    private static bool IsTokenType(string? actual, string expected)
    {
        const string Prefix = "application/";
        static string Strip(string value) => value.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) ? value[Prefix.Length..] : value;
        return actual is not null && string.Equals(Strip(actual), Strip(expected), StringComparison.OrdinalIgnoreCase);
    }

    private TokenValidationParameters CreateParameters(IssuerOptions issuer, IReadOnlyList<SecurityKey> keys, bool tryAllKeys) => new()
    {
        ValidateIssuer = true,
        ValidIssuer = issuer.Issuer,
        ValidateAudience = true,
        RequireAudience = true,
        ValidAudiences = issuer.Audiences,
        IgnoreTrailingSlashWhenValidatingAudience = false,
        IgnoreCaseWhenValidatingAudience = false,
        IssuerSigningKeys = keys,
        ValidAlgorithms = issuer.Algorithms,
        RequireSignedTokens = true,
        ValidateLifetime = true,
        RequireExpirationTime = true,
        ClockSkew = issuer.ClockSkew,

        // The handler's own lifetime check reads the system clock (its TimeProvider hook is not public),
        // so the check is ours; it replaces the default one, including the exp-required rule.
        LifetimeValidator = ValidateLifetime,

        // With a kid, only the key it names may verify the token; trying every key is kept for issuers that omit kid.
        TryAllIssuerSigningKeys = tryAllKeys,
        SaveSigninToken = false,
        LogTokenId = false,
        LogValidationExceptions = false,
    };

    private bool ValidateLifetime(DateTime? notBefore, DateTime? expires, SecurityToken token, TokenValidationParameters parameters)
    {
        // The handler turns these exceptions into the failed result, where Describe maps them to reasons.
        if (expires is not { } exp)
        {
            throw new SecurityTokenNoExpirationException("The token has no exp claim.");
        }

        if (notBefore is { } nbf && nbf > exp)
        {
            throw new SecurityTokenInvalidLifetimeException("The token's nbf is after its exp.");
        }

        var now = _time.GetUtcNow().UtcDateTime;
        if (notBefore is { } start && start > now + parameters.ClockSkew)
        {
            throw new SecurityTokenNotYetValidException("The token is not valid yet.") { NotBefore = start };
        }

        // RFC 7519 §4.1.4: the token must not be accepted on or after exp.
        if (now >= exp + parameters.ClockSkew)
        {
            throw new SecurityTokenExpiredException("The token has expired.") { Expires = exp };
        }

        return true;
    }

    private TokenValidationResult ReadIdentity(IssuerOptions issuer, UnverifiedJws jws, JsonWebToken verified)
    {
        // The claims are read from our own parse of the payload: the handler verified the signature over
        // exactly these bytes, and our parser has already refused duplicate member names.
        var claims = jws.Payload;
        if (!claims.TryGetProperty("sub", out var sub) || sub.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(sub.GetString()))
        {
            return Reject("subject (sub) missing", jws);
        }

        foreach (var required in issuer.RequiredClaims)
        {
            if (!claims.TryGetProperty(required, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                return Reject($"required claim '{required}' missing", jws);
            }
        }

        string? tokenId = null;
        if (claims.TryGetProperty("jti", out var jti))
        {
            if (jti.ValueKind != JsonValueKind.String)
            {
                return Reject("token id (jti) malformed", jws);
            }

            tokenId = jti.GetString();
        }

        // Replay refusal counts sessions per token id, so a token without one could not be counted.
        if (issuer.TokenReuse != TokenReuse.Allowed && string.IsNullOrEmpty(tokenId))
        {
            return Reject("token id (jti) missing", jws);
        }

        if (!TryReadGroups(claims, issuer.GroupsClaim, out var groups))
        {
            return Reject($"groups claim '{issuer.GroupsClaim}' malformed", jws);
        }

        if (TokenClaims.Read(claims, out var claimsRefusal) is not { } carried)
        {
            return Reject(claimsRefusal!, jws);
        }

        var expires = new DateTimeOffset(DateTime.SpecifyKind(verified.ValidTo, DateTimeKind.Utc));
        return new TokenValidationResult.Valid(new AgentIdentity(issuer.Issuer, sub.GetString()!, groups, carried), tokenId, expires) { Reuse = issuer.TokenReuse };
    }

    // A group that cannot be read is refused rather than skipped: a deny rule keyed on it must not silently stop matching.
    private static bool TryReadGroups(JsonElement claims, string claimName, out IReadOnlyList<string> groups)
    {
        groups = Array.Empty<string>();
        if (!claims.TryGetProperty(claimName, out var claim))
        {
            return true;
        }

        switch (claim.ValueKind)
        {
            case JsonValueKind.String:
                groups = new[] { claim.GetString()! };
                return true;
            case JsonValueKind.Array:
                var list = new List<string>(claim.GetArrayLength());
                foreach (var item in claim.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.String)
                    {
                        return false;
                    }

                    list.Add(item.GetString()!);
                }

                groups = list;
                return true;
            default:
                return false;
        }
    }

    private static string KeysUnavailable(IssuerOptions issuer) => $"signing keys for issuer {issuer.Issuer} are unavailable";

    private static string Describe(Exception? exception) => exception switch
    {
        SecurityTokenExpiredException => "token expired",
        SecurityTokenNotYetValidException => "token not yet valid",
        SecurityTokenNoExpirationException => "expiration (exp) missing",
        SecurityTokenInvalidLifetimeException => "token lifetime invalid",
        SecurityTokenInvalidAudienceException => "audience not accepted",
        SecurityTokenInvalidIssuerException => "issuer not accepted",
        SecurityTokenInvalidAlgorithmException => "algorithm not allowed",
        SecurityTokenSignatureKeyNotFoundException => "signing key not found",
        SecurityTokenInvalidSignatureException => "signature invalid",
        SecurityTokenMalformedException => "token malformed",
        _ => "token invalid",
    };

    private TokenValidationResult.Invalid Reject(string reason, UnverifiedJws? jws, string? detail = null)
    {
        LogRejected(_logger, reason, UntrustedText.ForLog(jws?.Issuer), UntrustedText.ForLog(jws?.Subject), UntrustedText.ForLog(jws?.KeyId), detail ?? "-");
        return new TokenValidationResult.Invalid(reason);
    }

    [LoggerMessage(EventId = 2100, Level = LogLevel.Warning, Message = "Token refused: {Reason} (unverified iss={Issuer} sub={Subject} kid={KeyId}; {Detail})")]
    private static partial void LogRejected(ILogger logger, string reason, string issuer, string subject, string keyId, string detail);

    [LoggerMessage(EventId = 2101, Level = LogLevel.Error, Message = "Signing keys for issuer {Issuer} are unavailable; its tokens are refused")]
    private static partial void LogKeysUnavailable(ILogger logger, string issuer, Exception exception);
}
