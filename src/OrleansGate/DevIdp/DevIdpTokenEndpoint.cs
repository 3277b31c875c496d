using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace OrleansGate.Host.DevIdp;

/// <summary>
/// <c>POST /v1/token</c>: the OAuth 2.0 client-credentials grant (RFC 6749 §4.4) with <c>client_secret_basic</c>
/// or <c>client_secret_post</c>, and the authorization code grant of public clients (handed to
/// <see cref="DevIdpAuthorizationCodeGrant"/>). Errors are OAuth JSON (§5.2) and never repeat what the client sent as its secret.
/// </summary>
internal sealed partial class DevIdpTokenEndpoint
{
    private const string AuthorizationCode = "authorization_code";

    private readonly IOptionsMonitor<DevIdpOptions> _options;
    private readonly DevIdpTokenFactory _tokens;
    private readonly DevIdpAuthorizationCodeGrant _codeGrant;
    private readonly ILogger<DevIdpTokenEndpoint> _logger;

    public DevIdpTokenEndpoint(IOptionsMonitor<DevIdpOptions> options, DevIdpTokenFactory tokens, DevIdpAuthorizationCodeGrant codeGrant, ILogger<DevIdpTokenEndpoint> logger)
    {
        _options = options;
        _tokens = tokens;
        _codeGrant = codeGrant;
        _logger = logger;
    }

    public async Task<IResult> HandleAsync(HttpContext context)
    {
        var options = _options.CurrentValue;
        var request = context.Request;

        // RFC 6749 §5.1: responses carrying tokens or credentials must not be cached.
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.Pragma = "no-cache";

        var (form, formProblem) = await DevIdpForm.ReadAsync(context);
        if (form is null)
        {
            return Error(StatusCodes.Status400BadRequest, "invalid_request", formProblem);
        }

        // RFC 6749 §3.2: parameters must not be repeated; which copy would count is ambiguous.
        if (form.Any(field => field.Value.Count > 1))
        {
            return Error(StatusCodes.Status400BadRequest, "invalid_request", "a request parameter is repeated");
        }

        // Public clients send no secret; PKCE ties the code to the client instead (RFC 7636 §1).
        var grantType = form["grant_type"].ToString();
        if (string.Equals(grantType, AuthorizationCode, StringComparison.Ordinal)
            && request.Headers.Authorization.Count == 0 && StringValues.IsNullOrEmpty(form["client_secret"]))
        {
            return _codeGrant.Handle(options, form);
        }

        if (!TryReadClientCredentials(context, form, out var clientId, out var clientSecret, out var problem))
        {
            return problem;
        }

        var client = Authenticate(options, clientId, clientSecret);
        if (client is null)
        {
            LogClientRejected(_logger, Printable(clientId));
            return InvalidClient(context, "client authentication failed");
        }

        if (grantType.Length == 0)
        {
            return Error(StatusCodes.Status400BadRequest, "invalid_request", "grant_type is required");
        }

        if (string.Equals(grantType, AuthorizationCode, StringComparison.Ordinal))
        {
            return Error(StatusCodes.Status400BadRequest, "unauthorized_client", "the authorization_code grant is only for public clients, which send no secret");
        }

        if (!string.Equals(grantType, "client_credentials", StringComparison.Ordinal))
        {
            return Error(StatusCodes.Status400BadRequest, "unsupported_grant_type", "only the client_credentials and authorization_code grants are supported");
        }

        var scopes = form["scope"].ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (scopes.Any(scope => scope != DevIdpTokenFactory.Scope))
        {
            return Error(StatusCodes.Status400BadRequest, "invalid_scope", $"only the '{DevIdpTokenFactory.Scope}' scope is available");
        }

        var (token, tokenId, expires) = _tokens.Issue(options, client);
        LogTokenIssued(_logger, client.ClientId, tokenId, expires);
        return DevIdpDocuments.Json(new JsonObject
        {
            ["token_type"] = "Bearer",
            ["expires_in"] = (long)options.TokenLifetime.TotalSeconds,
            ["access_token"] = token,
            ["scope"] = DevIdpTokenFactory.Scope,
        });
    }

    private static bool TryReadClientCredentials(
        HttpContext context,
        IFormCollection form,
        out string clientId,
        out string clientSecret,
        [NotNullWhen(false)] out IResult? problem)
    {
        clientId = clientSecret = "";
        problem = null;
        var authorization = context.Request.Headers.Authorization;
        var postedId = form["client_id"];
        var postedSecret = form["client_secret"];
        if (authorization.Count > 1)
        {
            problem = Error(StatusCodes.Status400BadRequest, "invalid_request", "the Authorization header is repeated");
            return false;
        }

        if (authorization.Count == 0)
        {
            if (StringValues.IsNullOrEmpty(postedId) || StringValues.IsNullOrEmpty(postedSecret))
            {
                problem = InvalidClient(context, "client authentication is required (client_secret_basic or client_secret_post)");
                return false;
            }

            clientId = postedId.ToString();
            clientSecret = postedSecret.ToString();
            return true;
        }

        // RFC 6749 §2.3: a client must not use more than one authentication method in a request.
        if (!StringValues.IsNullOrEmpty(postedSecret))
        {
            problem = Error(StatusCodes.Status400BadRequest, "invalid_request", "use client_secret_basic or client_secret_post, not both");
            return false;
        }

        if (!TryParseBasic(authorization.ToString(), out clientId, out clientSecret))
        {
            problem = InvalidClient(context, "the Authorization header is not valid HTTP Basic client authentication");
            return false;
        }

        if (!StringValues.IsNullOrEmpty(postedId) && !string.Equals(postedId.ToString(), clientId, StringComparison.Ordinal))
        {
            problem = Error(StatusCodes.Status400BadRequest, "invalid_request", "client_id does not match the Authorization header");
            return false;
        }

        return true;
    }

    // RFC 6749 §2.3.1: id and secret are form-urlencoded, joined by ':', then base64-encoded.
    private static bool TryParseBasic(string header, out string clientId, out string clientSecret)
    {
        clientId = clientSecret = "";
        const string Scheme = "Basic ";
        if (!header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var encoded = header.AsSpan(Scheme.Length).Trim();
        var buffer = new byte[(encoded.Length * 3 / 4) + 3];
        if (!Convert.TryFromBase64Chars(encoded, buffer, out var length))
        {
            return false;
        }

        string decoded;
        try
        {
            decoded = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer, 0, length);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }

        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return false;
        }

        clientId = WebUtility.UrlDecode(decoded[..colon]);
        clientSecret = WebUtility.UrlDecode(decoded[(colon + 1)..]);
        return clientSecret.Length > 0;
    }

    private static DevIdpClient? Authenticate(DevIdpOptions options, string clientId, string clientSecret)
    {
        var client = options.Clients.Find(c => string.Equals(c.ClientId, clientId, StringComparison.Ordinal));
        return DevIdpCredentials.SecretsMatch(client?.ClientSecret, clientSecret) ? client : null;
    }

    // RFC 6749 §5.2: a 401 for a failed client authentication names the scheme the client may use.
    private static IResult InvalidClient(HttpContext context, string description)
    {
        context.Response.Headers.WWWAuthenticate = "Basic realm=\"orleansgate-dev-idp\"";
        return Error(StatusCodes.Status401Unauthorized, "invalid_client", description);
    }

    internal static IResult Error(int statusCode, string error, string description) =>
        DevIdpDocuments.Json(new JsonObject { ["error"] = error, ["error_description"] = description }, statusCode);

    private static string Printable(string value) =>
        new(value.Take(64).Select(c => char.IsControl(c) ? '?' : c).ToArray());

    [LoggerMessage(EventId = 2210, Level = LogLevel.Information, Message = "Development IdP: issued token {TokenId} to client {ClientId}, valid until {Expires:o}")]
    private static partial void LogTokenIssued(ILogger logger, string clientId, string tokenId, DateTimeOffset expires);

    [LoggerMessage(EventId = 2211, Level = LogLevel.Warning, Message = "Development IdP: client authentication failed for client {ClientId}")]
    private static partial void LogClientRejected(ILogger logger, string clientId);
}
