using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OrleansGate.Host.DevIdp;

/// <summary>
/// <c>GET</c> and <c>POST /v1/authorize</c>: the login page of the authorization code flow with PKCE
/// (RFC 6749 §4.1, RFC 7636) for the configured development users and public clients.
/// </summary>
/// <remarks>
/// <code>
///  browser ── GET /v1/authorize?client_id&amp;redirect_uri&amp;code_challenge… ──► login form (parameters as hidden fields)
///  browser ── POST /v1/authorize (the fields + username, password) ──────────► 302 redirect_uri?code&amp;state
///  client  ── POST /v1/token grant_type=authorization_code&amp;code_verifier… ─► access token + ID token
/// </code>
/// 1. The client id and the exact redirect URI are checked first; a bad one gets an error page, never a redirect.
/// 2. Other request errors go back to the redirect URI as <c>error=…&amp;state=…</c> (RFC 6749 §4.1.2.1).
/// 3. A wrong username or password shows the form again with one message for both, so names cannot be probed.
/// 4. A good one stores a single-use code bound to the client, redirect URI, challenge, user and nonce.
/// </remarks>
internal sealed partial class DevIdpAuthorizeEndpoint
{
    private const string InvalidCredentials = "Invalid username or password.";

    private readonly IOptionsMonitor<DevIdpOptions> _options;
    private readonly DevIdpAuthorizationCodes _codes;
    private readonly TimeProvider _time;
    private readonly ILogger<DevIdpAuthorizeEndpoint> _logger;

    public DevIdpAuthorizeEndpoint(IOptionsMonitor<DevIdpOptions> options, DevIdpAuthorizationCodes codes, TimeProvider time, ILogger<DevIdpAuthorizeEndpoint> logger)
    {
        _options = options;
        _codes = codes;
        _time = time;
        _logger = logger;
    }

    /// <summary><c>GET</c>: checks the request and shows the login form.</summary>
    public IResult ShowForm(HttpContext context)
    {
        var request = DevIdpAuthorizationRequest.Read(name => context.Request.Query[name]);
        return Refusal(context, request) ?? DevIdpLoginPage.Form(context, request, username: "", error: null);
    }

    /// <summary><c>POST</c>: checks the posted request again, then the credentials; redirects with a code on success.</summary>
    public async Task<IResult> SignInAsync(HttpContext context)
    {
        var (form, formProblem) = await DevIdpForm.ReadAsync(context);
        if (form is null)
        {
            return DevIdpLoginPage.Error(context, $"The sign-in was refused: {formProblem}.");
        }

        var request = DevIdpAuthorizationRequest.Read(name => form[name]);
        if (Refusal(context, request) is { } refusal)
        {
            return refusal;
        }

        var username = form["username"].ToString();
        var password = form["password"].ToString();
        var user = Authenticate(_options.CurrentValue, username, password);
        if (user is null)
        {
            LogSignInFailed(_logger, Printable(username), request.ClientId);
            return DevIdpLoginPage.Form(context, request, username, InvalidCredentials);
        }

        var now = _time.GetUtcNow();
        var grant = new DevIdpAuthorizationGrant(
            request.ClientId, request.RedirectUri, request.CodeChallenge, user.Username, request.Nonce, request.Scopes, now, now + DevIdpAuthorizationCodes.Lifetime);
        if (_codes.TryIssue(grant) is not { } code)
        {
            return RedirectWithError(context, request, "temporarily_unavailable", "too many sign-ins are pending; try again in a minute");
        }

        LogSignedIn(_logger, user.Username, request.ClientId);
        return Redirect(context, request, new Dictionary<string, string?> { ["code"] = code, ["state"] = NullIfEmpty(request.State) });
    }

    private IResult? Refusal(HttpContext context, DevIdpAuthorizationRequest request)
    {
        if (request.ClientProblem(_options.CurrentValue) is { } clientProblem)
        {
            return DevIdpLoginPage.Error(context, clientProblem);
        }

        return request.RequestProblem() is { } problem ? RedirectWithError(context, request, problem.Error, problem.Description) : null;
    }

    private static DevIdpUser? Authenticate(DevIdpOptions options, string username, string password)
    {
        var user = options.Users.Find(u => string.Equals(u.Username, username, StringComparison.Ordinal));

        // An unknown user is compared against no password, which costs the same and matches nothing.
        string? expected = null;
        if (user is not null && DevIdpCredentials.TryReadPassword(user, out var configured, out _))
        {
            expected = configured;
        }

        return DevIdpCredentials.SecretsMatch(expected, password) ? user : null;
    }

    private static IResult RedirectWithError(HttpContext context, DevIdpAuthorizationRequest request, string error, string description) =>
        Redirect(context, request, new Dictionary<string, string?>
        {
            ["error"] = error,
            ["error_description"] = description,
            ["state"] = request.RepeatedParameter == "state" ? null : NullIfEmpty(request.State),
        });

    // RFC 6749 §3.1.2: the redirect URI's own query is kept and the response's parameters are added to it.
    private static IResult Redirect(HttpContext context, DevIdpAuthorizationRequest request, Dictionary<string, string?> parameters)
    {
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.Pragma = "no-cache";
        return Results.Redirect(QueryHelpers.AddQueryString(request.RedirectUri, parameters));
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;

    private static string Printable(string value) =>
        new(value.Take(64).Select(c => char.IsControl(c) ? '?' : c).ToArray());

    [LoggerMessage(EventId = 2220, Level = LogLevel.Information, Message = "Development IdP: user {Username} signed in for client {ClientId}")]
    private static partial void LogSignedIn(ILogger logger, string username, string clientId);

    [LoggerMessage(EventId = 2221, Level = LogLevel.Warning, Message = "Development IdP: sign-in failed for user {Username} at client {ClientId}")]
    private static partial void LogSignInFailed(ILogger logger, string username, string clientId);
}
