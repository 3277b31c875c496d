using Microsoft.Extensions.Primitives;

namespace OrleansGate.Host.DevIdp;

/// <summary>
/// The parameters of an authorization request (RFC 6749 §4.1.1 with RFC 7636 PKCE), read from the query of
/// <c>GET /v1/authorize</c> or from the hidden fields the login form posts back; both are checked the same way,
/// as the browser may change either.
/// </summary>
internal sealed record DevIdpAuthorizationRequest(
    string ClientId,
    string RedirectUri,
    string ResponseType,
    string Scope,
    string State,
    string CodeChallenge,
    string CodeChallengeMethod,
    string Nonce,
    string? RepeatedParameter)
{
    /// <summary>The scopes a user's tokens may carry; <c>openid</c> is required.</summary>
    internal static readonly IReadOnlySet<string> SupportedScopes = new HashSet<string>(StringComparer.Ordinal) { "openid", "profile", "groups" };

    // Long enough for any client's state; stored nonces are bounded so the code store's memory is too.
    private const int MaxStateLength = 2048;
    private const int MaxNonceLength = 512;

    /// <summary>The names of the parameters, in the order the login form carries them as hidden fields.</summary>
    internal static readonly string[] ParameterNames =
        ["client_id", "redirect_uri", "response_type", "scope", "state", "code_challenge", "code_challenge_method", "nonce"];

    public static DevIdpAuthorizationRequest Read(Func<string, StringValues> parameter)
    {
        var repeated = ParameterNames.FirstOrDefault(name => parameter(name).Count > 1);
        string Get(string name) => parameter(name).ToString();
        return new DevIdpAuthorizationRequest(
            Get("client_id"), Get("redirect_uri"), Get("response_type"), Get("scope"), Get("state"),
            Get("code_challenge"), Get("code_challenge_method"), Get("nonce"), repeated);
    }

    /// <summary>The scopes asked for, in request order.</summary>
    public string[] Scopes => Scope.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The values the login form posts back, in <see cref="ParameterNames"/> order.</summary>
    public string[] Values => [ClientId, RedirectUri, ResponseType, Scope, State, CodeChallenge, CodeChallengeMethod, Nonce];

    /// <summary>
    /// Why the client or its redirect URI is not acceptable, or null. Checked before anything else: until both are
    /// known good, an error must be shown to the user and never redirected (RFC 6749 §4.1.2.1), or the IdP would be
    /// an open redirector.
    /// </summary>
    public string? ClientProblem(DevIdpOptions options)
    {
        if (RepeatedParameter is "client_id" or "redirect_uri")
        {
            return $"The {RepeatedParameter} parameter is repeated.";
        }

        if (ClientId.Length == 0)
        {
            return "The client_id parameter is missing.";
        }

        var client = options.PublicClients.Find(c => string.Equals(c.ClientId, ClientId, StringComparison.Ordinal));
        if (client is null)
        {
            return "The client_id is not a registered public client.";
        }

        if (RedirectUri.Length == 0)
        {
            return "The redirect_uri parameter is missing.";
        }

        return client.RedirectUris.Contains(RedirectUri, StringComparer.Ordinal)
            ? null
            : "The redirect_uri is not registered for this client (it must match exactly).";
    }

    /// <summary>The OAuth error and description to send back to the client's redirect URI, or null when the request is good.</summary>
    public (string Error, string Description)? RequestProblem()
    {
        if (RepeatedParameter is not null)
        {
            return ("invalid_request", $"the {RepeatedParameter} parameter is repeated");
        }

        if (!string.Equals(ResponseType, "code", StringComparison.Ordinal))
        {
            return ("unsupported_response_type", "only response_type=code is supported");
        }

        // RFC 7636 §4.3: a missing method means plain, which sends the verifier itself through the browser.
        if (!string.Equals(CodeChallengeMethod, "S256", StringComparison.Ordinal))
        {
            return ("invalid_request", "code_challenge_method must be S256 (plain is not accepted)");
        }

        // A SHA-256 hash in base64url without padding is exactly 43 characters.
        if (CodeChallenge.Length != 43 || !CodeChallenge.All(IsBase64UrlChar))
        {
            return ("invalid_request", "code_challenge must be the 43-character base64url SHA-256 of the code verifier");
        }

        var scopes = Scopes;
        if (!scopes.Contains("openid", StringComparer.Ordinal))
        {
            return ("invalid_scope", "the openid scope is required");
        }

        if (scopes.FirstOrDefault(scope => !SupportedScopes.Contains(scope)) is { } unknown)
        {
            return ("invalid_scope", $"scope '{(unknown.Length > 64 ? unknown[..64] : unknown)}' is not available");
        }

        if (State.Length > MaxStateLength || Nonce.Length > MaxNonceLength)
        {
            return ("invalid_request", $"state is limited to {MaxStateLength} characters and nonce to {MaxNonceLength}");
        }

        return null;
    }

    /// <summary>RFC 7636 §4.1: a code verifier is 43 to 128 characters of <c>[A-Za-z0-9-._~]</c>.</summary>
    public static bool IsValidCodeVerifier(string verifier) =>
        verifier.Length is >= 43 and <= 128 && verifier.All(c => IsBase64UrlChar(c) || c is '.' or '~');

    private static bool IsBase64UrlChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_';
}
