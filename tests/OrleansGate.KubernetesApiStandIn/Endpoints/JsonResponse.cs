using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace OrleansGate.KubernetesApiStandIn.Endpoints;

/// <summary>Writing JSON bodies and reading request bodies the way every endpoint needs them.</summary>
internal static class JsonResponse
{
    public static async Task WriteAsync(HttpResponse response, int statusCode, JsonNode body, string contentType = "application/json")
    {
        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
        response.StatusCode = statusCode;
        response.ContentType = contentType;
        response.ContentLength = bytes.Length;
        await response.Body.WriteAsync(bytes, response.HttpContext.RequestAborted).ConfigureAwait(false);
    }

    public static Task WriteStatusAsync(HttpResponse response, ApiStatus status) =>
        WriteAsync(response, status.Code, status.ToJson());

    /// <summary>The body as a JSON object; anything else is the 400 the real server gives.</summary>
    public static async Task<JsonObject> ReadObjectAsync(HttpRequest request) =>
        await ReadAsync(request).ConfigureAwait(false) as JsonObject
        ?? throw new ApiStatusException(ApiStatus.BadRequest("the request body is not a JSON object"));

    public static async Task<JsonNode?> ReadAsync(HttpRequest request)
    {
        var contentType = request.ContentType?.Split(';')[0].Trim().ToLowerInvariant();
        if (contentType is not null && !contentType.EndsWith("json", StringComparison.Ordinal))
        {
            // Typed client-go clients (kubectl create, scale) send protobuf first; a 415 makes them retry in JSON.
            throw new ApiStatusException(ApiStatus.UnsupportedMediaType(request.ContentType!));
        }

        try
        {
            return await JsonNode.ParseAsync(request.Body, cancellationToken: request.HttpContext.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            throw new ApiStatusException(ApiStatus.BadRequest($"the request body is not valid JSON: {e.Message}"));
        }
    }

    /// <summary>Kubernetes booleans in a query: <c>true</c> from kubectl, <c>1</c> from KubernetesClient.</summary>
    public static bool Flag(HttpRequest request, string name) =>
        request.Query[name].ToString() is "true" or "1" or "True";
}
