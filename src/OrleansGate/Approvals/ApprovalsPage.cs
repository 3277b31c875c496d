using System.Reflection;
using System.Text.Json;
using Microsoft.Extensions.Options;
using OrleansGate.Model;

namespace OrleansGate.Host.Approvals;

/// <summary>
/// The approvers' web page on the node's HTTP listener: <c>/approvals</c> (what the approver may decide),
/// <c>/approvals/{id}</c> (one request, linked from notices) and <c>/approvals/callback</c> (where the IdP sends the
/// browser back). One static page, a script and a style sheet embedded in the executable; the script signs the approver
/// in (authorization code with PKCE) and calls <see cref="ApprovalsApi"/> with the approver's own token.
/// </summary>
/// <remarks>
/// The server keeps no session: the token lives in the tab's <c>sessionStorage</c> and travels only as a Bearer header,
/// so a cross-site request carries nothing the API would accept (no cookie) and the API needs no CSRF defence. The
/// statement shown is attacker-controlled text; the script writes it as text only, and the Content-Security-Policy
/// (own script only, Trusted Types required) stops any markup that slipped through from running.
/// </remarks>
public static class ApprovalsPage
{
    private const string ResourcePrefix = "OrleansGate.Approvals.Page.";

    public static IServiceCollection AddApprovalsPage(this IServiceCollection services, IConfiguration approvals)
    {
        ArgumentNullException.ThrowIfNull(approvals);
        services.AddOptions<ApprovalsPageOptions>().Bind(approvals.GetSection("Page"));
        return services;
    }

    /// <summary>Maps the page and its files; does nothing unless <c>OrleansGate:Approvals:Page</c> names an issuer and a client.</summary>
    public static IEndpointRouteBuilder MapApprovalsPage(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.ServiceProvider.GetRequiredService<IOptions<ApprovalsPageOptions>>().Value;
        if (!options.Enabled)
        {
            return app;
        }

        if (!Uri.TryCreate(options.Issuer, UriKind.Absolute, out var issuer) || (issuer.Scheme != Uri.UriSchemeHttps && issuer.Scheme != Uri.UriSchemeHttp))
        {
            throw new InvalidOperationException($"OrleansGate:Approvals:Page:Issuer '{options.Issuer}' must be an absolute http(s) URL.");
        }

        // The page reads the IdP's discovery document and redeems the code itself, so only the issuer's origin is
        // added to connect-src; navigating to the login page is not a fetch and needs no source.
        var issuerOrigin = issuer.GetLeftPart(UriPartial.Authority);
        var pagePolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
            $"connect-src 'self' {issuerOrigin}; form-action 'none'; frame-ancestors 'none'; base-uri 'none'; require-trusted-types-for 'script'";
        var page = new StaticFile(Read("approvals.html"), "text/html; charset=utf-8", pagePolicy);
        var script = new StaticFile(Read("approvals.js"), "text/javascript; charset=utf-8", "default-src 'none'");
        var style = new StaticFile(Read("approvals.css"), "text/css; charset=utf-8", "default-src 'none'");
        var config = new StaticFile(ConfigJson(options), "application/json; charset=utf-8", "default-src 'none'");

        app.MapGet("/approvals", page.Send);
        app.MapGet("/approvals/callback", page.Send);
        app.MapGet("/approvals/approvals.js", script.Send);
        app.MapGet("/approvals/approvals.css", style.Send);
        app.MapGet("/approvals/config.json", config.Send);

        // Literal routes above win over this one; anything that is not an approval id is not a page.
        app.MapGet("/approvals/{id}", (HttpContext context, string id) => ApprovalKeys.IsId(id) ? page.Send(context) : Results.NotFound());
        return app;
    }

    /// <summary>What the script needs to know from the server: the IdP and the client, never a secret.</summary>
    private static byte[] ConfigJson(ApprovalsPageOptions options)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("issuer", options.Issuer!.TrimEnd('/'));
            w.WriteString("client_id", options.ClientId);
            w.WriteString("scope", options.Scope);
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static byte[] Read(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(ResourcePrefix + name)
            ?? throw new InvalidOperationException($"the approvals page resource '{name}' is missing from the executable");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>One embedded file with the headers every response of the page carries.</summary>
    private sealed class StaticFile(byte[] content, string contentType, string contentSecurityPolicy)
    {
        public IResult Send(HttpContext context)
        {
            var headers = context.Response.Headers;

            // The page and its answers are per approver and change by the second: nothing is cached or framed.
            headers.CacheControl = "no-store";
            headers.ContentSecurityPolicy = contentSecurityPolicy;
            headers.XFrameOptions = "DENY";
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            return Results.Bytes(content, contentType);
        }
    }
}
