using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace OrleansGate.Edge.Http;

/// <summary>
/// A refusal in the Kubernetes API's own form (a <c>meta/v1 Status</c>), so kubectl prints its message: "Error from
/// server (Forbidden): denied by rule …". Plain-HTTP targets get the same JSON; it reads well there too.
/// </summary>
public static class KubernetesStatus
{
    public static Task WriteAsync(HttpContext context, int status, string message)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Response.HasStarted)
        {
            context.Abort(); // an answer already on its way cannot become a refusal: the agent sees it cut
            return Task.CompletedTask;
        }

        context.Response.Clear();
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        if (status == StatusCodes.Status401Unauthorized)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"orleansgate\"";
        }

        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("kind", "Status");
            json.WriteString("apiVersion", "v1");
            json.WriteStartObject("metadata");
            json.WriteEndObject();
            json.WriteString("status", "Failure");
            json.WriteString("message", message);
            json.WriteString("reason", Reason(status));
            json.WriteNumber("code", status);
            json.WriteEndObject();
        }

        return context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted).AsTask();
    }

    private static string Reason(int status) => status switch
    {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        413 => "RequestEntityTooLarge",
        429 => "TooManyRequests",
        502 => "BadGateway",
        _ => "ServiceUnavailable",
    };
}
