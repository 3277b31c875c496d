using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol.Protocol;

namespace OrleansGate.Host.Mcp;

/// <summary>
/// <c>ssh_exec</c>: one command through this node's agent listener (<c>POST /api/exec</c>) with the caller's token,
/// decided, held for approval and audited as any SSH command; the output comes back (capped), each chunk also as progress.
/// </summary>
public sealed class SshExecTool(LoopbackListeners listeners, McpOptions options)
{
    public const string ExecPath = "api/exec";

    public async Task<CallToolResult> RunAsync(McpCaller caller, McpToolArguments arguments, McpProgress progress, CancellationToken ct)
    {
        var target = arguments.RequiredString("target");
        var command = arguments.RequiredString("command");
        var timeout = arguments.Integer("timeout_seconds", 30, 1, 3600);

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(listeners.AgentBaseUrl, ExecPath));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", caller.Bearer);
        request.Content = JsonContent.Create(new JsonObject { ["target"] = target, ["command"] = command, ["timeout_seconds"] = timeout });

        HttpResponseMessage response;
        await using (progress.Every(elapsed => $"'{command}' on {target}: not started after {elapsed.TotalSeconds:0} s (a rule may hold it for a human's approval)", ct))
        {
            response = await listeners.AgentHttp.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                var (text, _) = await AgentHttpRequestTool.ReadCappedAsync(response.Content, 64 * 1024, ct).ConfigureAwait(false);
                return McpToolResults.Error(Refusal((int)response.StatusCode, text));
            }

            var reader = new ExecStreamReader(options.MaxResponseBytes);
            await using (var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false))
            {
                await reader.ReadAsync(body, (stream, data) => progress.ReportAsync($"{stream}: {Shorten(data)}", ct), ct).ConfigureAwait(false);
            }

            var result = new JsonObject
            {
                ["exit_code"] = reader.ExitCode,
                ["stdout"] = reader.Stdout,
                ["stderr"] = reader.Stderr,
                ["truncated"] = reader.Truncated,
                ["duration_ms"] = reader.DurationMs,
            };
            if (reader.Error is { } error)
            {
                result["error"] = error;
            }

            return McpToolResults.Json(result, isError: reader.Error is not null || reader.ExitCode != 0);
        }
    }

    /// <summary>The refusal as the agent reads it: the error, the rule, and the approval to check when there is one.</summary>
    internal static string Refusal(int status, string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            string? Text(string name) => root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            var message = $"{status}: {Text("error") ?? body}";
            if (Text("rule") is { } rule)
            {
                message += $" (rule \"{rule}\")";
            }

            if (Text("approval") is { } approval)
            {
                message += $"\nCheck it with the approval_status tool (approval_id \"{approval}\"), then run the same command again once it is approved.";
            }

            return message;
        }
        catch (JsonException)
        {
            return $"{status}: {body}";
        }
    }

    private static string Shorten(string data) => data.Length <= 200 ? data : data[..200] + "…";
}
