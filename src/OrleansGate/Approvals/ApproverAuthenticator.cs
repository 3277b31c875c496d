using Microsoft.Extensions.Options;
using OrleansGate.Edge.Identity;
using OrleansGate.Model;

namespace OrleansGate.Host.Approvals;

/// <summary>
/// Who an approvals API call is: the approver's own Bearer token, validated against the issuers configured for approvers
/// (<c>OrleansGate:Approvals:Identity:Issuers</c>, the same settings as agents' issuers). Never cluster access: holding
/// the admin CLI's access to the cluster does not make anyone an approver.
/// </summary>
public sealed class ApproverAuthenticator
{
    public const string HttpClientName = "approver-keys";

    private readonly JwtTokenValidator? _validator;

    public ApproverAuthenticator(IOptions<ApproverIdentityOptions> options, IHttpClientFactory http, TimeProvider time, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(loggers);
        if (options.Value.Identity.Issuers.Count == 0)
        {
            return;
        }

        var keys = new DiscoveryIssuerKeySource(http.CreateClient(HttpClientName), time, loggers.CreateLogger<DiscoveryIssuerKeySource>());
        _validator = new JwtTokenValidator(Options.Create(options.Value.Identity), keys, time, loggers.CreateLogger<JwtTokenValidator>());
    }

    /// <summary>False when no approver issuer is configured: the API then refuses every call (fail closed).</summary>
    public bool Configured => _validator is not null;

    /// <summary>The approver, or why not (safe to show: never the token).</summary>
    public async ValueTask<(AgentIdentity? Approver, string? Problem)> AuthenticateAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (_validator is null)
        {
            return (null, "no approver issuer is configured (OrleansGate:Approvals:Identity:Issuers): approvals cannot be decided on this node");
        }

        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= 7)
        {
            return (null, "an approver's Bearer token is required (Authorization: Bearer <token>)");
        }

        var result = await _validator.ValidateAsync(header[7..].Trim(), context.RequestAborted);
        return result switch
        {
            TokenValidationResult.Valid valid => (valid.Agent, null),
            TokenValidationResult.Invalid invalid => (null, $"the approver's token was refused: {invalid.Reason}"),
            _ => (null, "the approver's token was refused"),
        };
    }
}
