using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace OrleansGate.Host.DevIdp;

/// <summary>
/// <c>grant_type=authorization_code</c> at <c>/v1/token</c> for a public client (RFC 6749 §4.1.3, RFC 7636 §4.5–4.6):
/// redeems a code issued by <see cref="DevIdpAuthorizeEndpoint"/> for the signed-in user's access token and ID token.
/// </summary>
internal sealed partial class DevIdpAuthorizationCodeGrant
{
    private readonly DevIdpAuthorizationCodes _codes;
    private readonly DevIdpTokenFactory _tokens;
    private readonly TimeProvider _time;
    private readonly ILogger<DevIdpAuthorizationCodeGrant> _logger;

    public DevIdpAuthorizationCodeGrant(DevIdpAuthorizationCodes codes, DevIdpTokenFactory tokens, TimeProvider time, ILogger<DevIdpAuthorizationCodeGrant> logger)
    {
        _codes = codes;
        _tokens = tokens;
        _time = time;
        _logger = logger;
    }

    /// <summary>Answers the token request in <paramref name="form"/>, already read and checked for repeated parameters.</summary>
    public IResult Handle(DevIdpOptions options, IFormCollection form)
    {
        var clientId = form["client_id"].ToString();
        var code = form["code"].ToString();
        var redirectUri = form["redirect_uri"].ToString();
        var verifier = form["code_verifier"].ToString();
        if (clientId.Length == 0 || code.Length == 0 || redirectUri.Length == 0 || verifier.Length == 0)
        {
            return DevIdpTokenEndpoint.Error(StatusCodes.Status400BadRequest, "invalid_request", "code, redirect_uri, client_id and code_verifier are required");
        }

        if (!options.PublicClients.Exists(c => string.Equals(c.ClientId, clientId, StringComparison.Ordinal)))
        {
            return DevIdpTokenEndpoint.Error(StatusCodes.Status400BadRequest, "invalid_client", "client_id is not a registered public client");
        }

        if (!DevIdpAuthorizationRequest.IsValidCodeVerifier(verifier))
        {
            return DevIdpTokenEndpoint.Error(StatusCodes.Status400BadRequest, "invalid_request", "code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~");
        }

        // From here on the code is used up whatever the outcome, so a guessed verifier gets one try.
        if (_codes.Redeem(code) is not { } grant)
        {
            return Refuse(clientId, "the authorization code is unknown or was already used");
        }

        var refusal = grant switch
        {
            _ when grant.Expires <= _time.GetUtcNow() => "the authorization code has expired",
            _ when !string.Equals(grant.ClientId, clientId, StringComparison.Ordinal) => "the authorization code was issued to another client",
            _ when !string.Equals(grant.RedirectUri, redirectUri, StringComparison.Ordinal) => "redirect_uri differs from the authorization request's",
            _ when !ChallengeMatches(grant.CodeChallenge, verifier) => "code_verifier does not match the code_challenge",
            _ => null,
        };
        if (refusal is not null)
        {
            return Refuse(clientId, refusal);
        }

        // The user may have been removed from the configuration since signing in.
        if (options.Users.Find(u => string.Equals(u.Username, grant.Username, StringComparison.Ordinal)) is not { } user)
        {
            return Refuse(clientId, "the user is no longer configured");
        }

        var access = _tokens.IssueForUser(options, user, grant.ClientId, grant.Scopes);
        var idToken = _tokens.IssueIdToken(options, user, grant.ClientId, grant.Nonce, grant.AuthenticatedAt);
        LogUserTokenIssued(_logger, access.TokenId, user.Username, grant.ClientId, access.Expires);
        return DevIdpDocuments.Json(new JsonObject
        {
            ["token_type"] = "Bearer",
            ["expires_in"] = (long)options.TokenLifetime.TotalSeconds,
            ["access_token"] = access.Token,
            ["id_token"] = idToken,
            ["scope"] = string.Join(' ', grant.Scopes),
        });
    }

    private IResult Refuse(string clientId, string reason)
    {
        LogCodeRefused(_logger, clientId, reason);
        return DevIdpTokenEndpoint.Error(StatusCodes.Status400BadRequest, "invalid_grant", reason);
    }

    // RFC 7636 §4.6: BASE64URL(SHA256(ASCII(code_verifier))) == code_challenge; compared in constant time.
    private static bool ChallengeMatches(string challenge, string verifier)
    {
        var computed = Encoding.ASCII.GetBytes(Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))));
        return CryptographicOperations.FixedTimeEquals(computed, Encoding.ASCII.GetBytes(challenge));
    }

    [LoggerMessage(EventId = 2222, Level = LogLevel.Information, Message = "Development IdP: issued token {TokenId} to user {Username} through client {ClientId}, valid until {Expires:o}")]
    private static partial void LogUserTokenIssued(ILogger logger, string tokenId, string username, string clientId, DateTimeOffset expires);

    [LoggerMessage(EventId = 2223, Level = LogLevel.Warning, Message = "Development IdP: authorization code refused for client {ClientId}: {Reason}")]
    private static partial void LogCodeRefused(ILogger logger, string clientId, string reason);
}
