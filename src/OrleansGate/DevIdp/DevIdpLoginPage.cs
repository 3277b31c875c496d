using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Http;

namespace OrleansGate.Host.DevIdp;

/// <summary>The HTML of the development IdP's login form and of its error page. Everything echoed is HTML-encoded.</summary>
internal static class DevIdpLoginPage
{
    private const string Style =
        "body{font-family:sans-serif;max-width:24em;margin:4em auto}label,input,button{display:block;width:100%;margin:.3em 0}.error{color:#b00}";

    // The page runs no script; the one inline style is allowed by its hash, so nothing injected could run or load.
    private static readonly string StyleSource = "'sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(Style))) + "'";

    /// <summary>The login form for <paramref name="request"/>, which posts its parameters back as hidden fields.</summary>
    public static IResult Form(HttpContext context, DevIdpAuthorizationRequest request, string username, string? error, int statusCode = StatusCodes.Status200OK)
    {
        var html = new StringBuilder(2048);
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign in: OrleansGate development IdP</title>")
            .Append("<style>").Append(Style).Append("</style></head><body><h1>Sign in</h1>")
            .Append("<p>Development identity provider, for <b>").Append(Encode(request.ClientId)).Append("</b>.</p>");
        if (error is not null)
        {
            html.Append("<p class=\"error\" role=\"alert\">").Append(Encode(error)).Append("</p>");
        }

        html.Append("<form method=\"post\" action=\"authorize\">");
        var values = request.Values;
        for (var i = 0; i < DevIdpAuthorizationRequest.ParameterNames.Length; i++)
        {
            html.Append("<input type=\"hidden\" name=\"").Append(DevIdpAuthorizationRequest.ParameterNames[i])
                .Append("\" value=\"").Append(Encode(values[i])).Append("\">");
        }

        html.Append("<label for=\"username\">Username</label>")
            .Append("<input id=\"username\" name=\"username\" autocomplete=\"username\" required autofocus value=\"").Append(Encode(username)).Append("\">")
            .Append("<label for=\"password\">Password</label>")
            .Append("<input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>")
            .Append("<button type=\"submit\">Sign in</button></form></body></html>");

        // Browsers apply form-action to the redirect that follows the post too, so the client's origin is allowed.
        var redirectOrigin = new Uri(request.RedirectUri).GetLeftPart(UriPartial.Authority);
        return Page(context, html.ToString(), statusCode, $"'self' {redirectOrigin}");
    }

    /// <summary>A page explaining a request that cannot be answered by redirecting to the client.</summary>
    public static IResult Error(HttpContext context, string message)
    {
        var html = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign-in request refused</title><style>" + Style
            + "</style></head><body><h1>Sign-in request refused</h1><p class=\"error\">" + Encode(message) + "</p></body></html>";
        return Page(context, html, StatusCodes.Status400BadRequest, "'none'");
    }

    private static IResult Page(HttpContext context, string html, int statusCode, string formAction)
    {
        var headers = context.Response.Headers;

        // The page carries the request's parameters and, after a failed attempt, the username: keep it out of caches.
        headers.CacheControl = "no-store";
        headers.Pragma = "no-cache";
        headers.ContentSecurityPolicy = $"default-src 'none'; style-src {StyleSource}; form-action {formAction}; frame-ancestors 'none'; base-uri 'none'";
        headers.XFrameOptions = "DENY";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        return Results.Content(html, "text/html; charset=utf-8", Encoding.UTF8, statusCode);
    }

    private static string Encode(string value) => HtmlEncoder.Default.Encode(value);
}
