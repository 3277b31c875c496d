using Microsoft.Extensions.Options;
using ModelContextProtocol;
using ModelContextProtocol.Authentication;
using OrleansGate.Edge.Http;
using OrleansGate.Edge.Identity;

namespace OrleansGate.Host.Mcp;

/// <summary>
/// The MCP authorization spec's part on this resource server: the protected resource metadata (RFC 9728) that names
/// the trusted issuers, and a bearer token from one of them on every <c>/mcp</c> request, or 401 pointing at that metadata.
/// </summary>
/// <remarks>
/// Not the SDK's <c>AddMcp()</c> authentication scheme: an ASP.NET authentication scheme is registered for the whole
/// application, and WebApplication then runs its middleware on every listener (the metadata would answer on the admin
/// listener too). This serves the same document and challenge, on the agent listener alone, and validates tokens as
/// every other agent request is validated (<see cref="AgentTokenCache"/>).
/// </remarks>
public sealed partial class McpAccessGate(
    AgentTokenCache tokens,
    IOptions<IdentityOptions> identity,
    IOptions<McpOptions> options,
    ILogger<McpAccessGate> logger)
{
    public const string McpPath = "/mcp";
    public const string MetadataPath = "/.well-known/oauth-protected-resource";

    /// <summary>Whether <paramref name="path"/> is one of the two metadata addresses (RFC 9728 §3.1: the resource's path appended, or none).</summary>
    public static bool IsMetadataPath(PathString path) =>
        path.Equals(MetadataPath, StringComparison.Ordinal) || path.Equals(MetadataPath + McpPath, StringComparison.Ordinal);

    /// <summary>The metadata document; <c>authorization_servers</c> are the trusted issuers, as configured.</summary>
    public Task WriteMetadataAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            context.Response.Headers.Allow = "GET, HEAD";
            return Task.CompletedTask;
        }

        var metadata = new ProtectedResourceMetadata
        {
            Resource = BaseUrl(context) + McpPath,
            AuthorizationServers = [.. identity.Value.Issuers.Select(i => i.Issuer).Where(i => !string.IsNullOrWhiteSpace(i)).Distinct(StringComparer.Ordinal)],
            BearerMethodsSupported = ["header"],
            ResourceName = "OrleansGate MCP endpoint",
        };
        context.Response.Headers.CacheControl = "no-store";
        return Results.Json(metadata, McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(ProtectedResourceMetadata))).ExecuteAsync(context);
    }

    /// <summary>The caller of an <c>/mcp</c> request; null after answering 401 (no token, or one refused).</summary>
    public async Task<McpCaller?> AuthenticateAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var header = context.Request.Headers.Authorization;
        var authorization = header.ToString();
        if (header.Count != 1 || !authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || authorization.Length <= 7)
        {
            await ChallengeAsync(context, null, "a bearer token is required (Authorization: Bearer TOKEN)").ConfigureAwait(false);
            return null;
        }

        var bearer = authorization[7..].Trim();
        var result = await tokens.ValidateAsync(bearer, AgentTokenCache.Hash(bearer), context.RequestAborted).ConfigureAwait(false);
        if (result is not TokenValidationResult.Valid valid)
        {
            // The reason is safe to show (TokenValidationResult.Invalid): it never holds the token.
            var reason = (result as TokenValidationResult.Invalid)?.Reason ?? "refused";
            LogRefused(logger, context.Connection.RemoteIpAddress?.ToString() ?? "unknown", reason);
            await ChallengeAsync(context, "invalid_token", "the token was refused").ConfigureAwait(false);
            return null;
        }

        return new McpCaller(bearer, valid);
    }

    /// <summary>401 with the pointer an MCP client follows to find where to get a token (MCP authorization, RFC 9728 §5.1).</summary>
    private Task ChallengeAsync(HttpContext context, string? error, string message)
    {
        var challenge = $"Bearer resource_metadata=\"{BaseUrl(context)}{MetadataPath}{McpPath}\"";
        if (error is not null)
        {
            challenge += $", error=\"{error}\"";
        }

        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = challenge;
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsJsonAsync(new McpAuthProblem(message), McpJsonContext.Default.McpAuthProblem);
    }

    /// <summary>Where agents reach this listener: the configured public URL, or this request's scheme and Host.</summary>
    private string BaseUrl(HttpContext context) =>
        options.Value.PublicUrl is { } configured
            ? configured.GetLeftPart(UriPartial.Authority)
            : $"{context.Request.Scheme}://{context.Request.Host.ToUriComponent()}";

    [LoggerMessage(Level = LogLevel.Information, Message = "MCP request from {Client} refused: token {Reason}")]
    private static partial void LogRefused(ILogger logger, string client, string reason);
}
