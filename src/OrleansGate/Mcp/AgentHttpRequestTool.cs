using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol.Protocol;
using OrleansGate.Edge.Http;

namespace OrleansGate.Host.Mcp;

/// <summary>
/// <c>kubernetes_request</c> and <c>http_request</c>: one request through this node's agent listener
/// (<c>/k8s/TARGET/…</c>, <c>/http/TARGET/…</c>) with the caller's token, decided, held for approval, masked and audited
/// as the same request from kubectl or curl. The answer comes back with its status, its body cut at a cap.
/// </summary>
public sealed class AgentHttpRequestTool(LoopbackListeners listeners, McpOptions options)
{
    private static readonly HashSet<string> Methods = new(StringComparer.Ordinal) { "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS" };

    public async Task<CallToolResult> RunAsync(McpCaller caller, string prefix, McpToolArguments arguments, McpProgress progress, CancellationToken ct)
    {
        var target = arguments.RequiredString("target");
        var method = Method(arguments.OptionalString("method"), arguments.OptionalString("verb"));
        var path = arguments.RequiredString("path");
        var body = arguments.Body("body");
        if (!Methods.Contains(method))
        {
            throw new McpToolRefusal($"argument 'method' must be one of {string.Join(", ", Methods)}");
        }

        using var request = new HttpRequestMessage(new HttpMethod(method), TargetUri(listeners.AgentBaseUrl, prefix, target, path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", caller.Bearer);
        request.Headers.Accept.ParseAdd("application/json");
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, ContentType(arguments.OptionalString("content_type"), method));
        }

        HttpResponseMessage response;
        await using (progress.Every(elapsed => $"{method} {path} on {target}: no answer yet after {elapsed.TotalSeconds:0} s (a rule may hold it for a human's approval)", ct))
        {
            response = await listeners.AgentHttp.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        }

        using (response)
        {
            var (text, truncated) = await ReadCappedAsync(response.Content, options.MaxResponseBytes, ct).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (!response.IsSuccessStatusCode)
            {
                // The gateway's refusals are Kubernetes Status documents whose message names the rule (or the approval).
                var message = StatusMessage(text) ?? text;
                return McpToolResults.Error($"{status} {response.ReasonPhrase}: {message}"
                    + (PostgresQueryTool.Approval(message) is { } approval ? $"\nCheck it with the approval_status tool (approval_id \"{approval}\"), then send the same request again once it is approved." : ""));
            }

            return McpToolResults.Json(new JsonObject
            {
                ["status"] = status,
                ["content_type"] = response.Content.Headers.ContentType?.ToString(),
                ["body"] = text,
                ["truncated"] = truncated,
            });
        }
    }

    /// <summary>
    /// The HTTP method: given, or from a Kubernetes verb (<c>get</c>/<c>list</c> GET, <c>create</c> POST, <c>update</c>
    /// PUT, <c>patch</c> PATCH, <c>delete</c>/<c>deletecollection</c> DELETE; the path says which of each pair), or GET.
    /// </summary>
    private static string Method(string? method, string? verb)
    {
        var fromVerb = verb?.ToLowerInvariant() switch
        {
            null => null,
            "get" or "list" => "GET",
            "create" => "POST",
            "update" => "PUT",
            "patch" => "PATCH",
            "delete" or "deletecollection" => "DELETE",
            _ => throw new McpToolRefusal($"argument 'verb' must be get, list, create, update, patch, delete or deletecollection, not '{verb}' (watch, exec and the other streams are not tools)"),
        };
        var given = method?.ToUpperInvariant();
        if (given is not null && fromVerb is not null && given != fromVerb)
        {
            throw new McpToolRefusal($"argument 'verb' {verb} is {fromVerb}, not the 'method' {given} given: give one of them");
        }

        return given ?? fromVerb ?? "GET";
    }

    /// <summary>
    /// The request's URL on the agent listener: <c>/k8s/TARGET/path</c> or <c>/http/TARGET/path</c>, and nothing else.
    /// </summary>
    /// <remarks>
    /// <see cref="Uri"/> rewrites a path before it is sent: it turns '\' into '/', decodes "%2e" and removes dot
    /// segments, so "/%2e%2e/%2e%2e/mcp" or "/..\..\api/exec" would leave the target's prefix for another listener path.
    /// Those are refused here, and the URL as it will be sent is checked to be still under the prefix.
    /// </remarks>
    internal static Uri TargetUri(Uri agentBase, string prefix, string target, string path)
    {
        var segments = path.Split('?', 2)[0].Split('/');
        if (!path.StartsWith('/') || path.StartsWith("//", StringComparison.Ordinal) || path.Contains('\\', StringComparison.Ordinal) || path.Contains('#', StringComparison.Ordinal)
            || segments.Any(s => Uri.UnescapeDataString(s) is "." or "..")
            || target.Contains('/', StringComparison.Ordinal) || target is "." or "..")
        {
            throw new McpToolRefusal("argument 'path' must start with a single '/' (e.g. /api/v1/namespaces/default/pods) and hold no '.' or '..' segment (nor one percent-encoded), '\\' or '#', and 'target' is a target name");
        }

        var under = prefix + Uri.EscapeDataString(target) + "/";
        var uri = new Uri(agentBase, prefix + Uri.EscapeDataString(target) + path);
        if (!uri.AbsolutePath.StartsWith("/" + under, StringComparison.Ordinal))
        {
            throw new McpToolRefusal($"argument 'path' would leave /{under}: refused");
        }

        return uri;
    }

    /// <summary>The body's type: <c>content_type</c> when it is one (no header can be smuggled in it), else JSON (merge patch for PATCH).</summary>
    internal static MediaTypeHeaderValue ContentType(string? given, string method)
    {
        if (given is null)
        {
            return new MediaTypeHeaderValue(method == "PATCH" ? "application/merge-patch+json" : "application/json");
        }

        return given.AsSpan().IndexOfAny('\r', '\n') < 0 && MediaTypeHeaderValue.TryParse(given, out var parsed) && parsed.MediaType is { } media && media.Contains('/', StringComparison.Ordinal)
            ? parsed
            : throw new McpToolRefusal("argument 'content_type' must be a media type such as application/json (with parameters if any)");
    }

    /// <summary>The body as text, at most <paramref name="cap"/> bytes of it.</summary>
    internal static async Task<(string Text, bool Truncated)> ReadCappedAsync(HttpContent content, int cap, CancellationToken ct)
    {
        await using var stream = await content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        var buffer = new byte[Math.Min(cap + 1, 64 * 1024)];
        using var kept = new MemoryStream();
        int read;
        while (kept.Length <= cap && (read = await stream.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            kept.Write(buffer, 0, read);
        }

        var truncated = kept.Length > cap;
        return (Encoding.UTF8.GetString(kept.GetBuffer(), 0, (int)Math.Min(kept.Length, cap)), truncated);
    }

    private static string? StatusMessage(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String
                ? message.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
