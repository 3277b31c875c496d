using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace OrleansGate.Host.DevIdp;

/// <summary>Reads the small <c>application/x-www-form-urlencoded</c> bodies the IdP's POST endpoints accept.</summary>
internal static class DevIdpForm
{
    // Far above any legitimate request; a larger body is refused before it is read.
    private const long MaxBodyBytes = 16 * 1024;

    /// <summary>The posted form, or null with the reason (safe to show; it repeats nothing that was sent).</summary>
    public static async Task<(IFormCollection? Form, string Problem)> ReadAsync(HttpContext context)
    {
        if (!MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var contentType)
            || !contentType.MediaType.Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            return (null, "the request body must be application/x-www-form-urlencoded");
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            bodySize.MaxRequestBodySize = MaxBodyBytes;
        }

        try
        {
            return (await context.Request.ReadFormAsync(context.RequestAborted), "");
        }
        catch (Exception ex) when (ex is InvalidDataException or BadHttpRequestException)
        {
            return (null, "the request body is not a valid form");
        }
    }
}
