using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace OrleansGate.IntegrationTests.Ssh;

/// <summary>An agent calling <c>POST /api/exec</c> on the gateway's agent listener, and what it got back.</summary>
internal static class SshAgent
{
    /// <summary>Runs <paramref name="command"/> on <paramref name="target"/> with <paramref name="token"/>, reading the whole answer.</summary>
    public static async Task<ExecAnswer> ExecAsync(HttpClient http, string token, string target, string command, double? timeoutSeconds = null, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(http, token, target, command, timeoutSeconds, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        return ExecAnswer.Parse((int)response.StatusCode, text);
    }

    /// <summary>Sends the request and returns once the answer's headers came (the output then streams).</summary>
    public static async Task<HttpResponseMessage> SendAsync(HttpClient http, string token, string target, string command, double? timeoutSeconds = null, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/exec")
        {
            Content = JsonContent.Create(timeoutSeconds is null ? new { target, command } : (object)new { target, command, timeout_seconds = timeoutSeconds }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
    }
}

/// <summary>One <c>/api/exec</c> answer: a refusal (<see cref="Error"/>, <see cref="Rule"/>) or the output and the last line.</summary>
internal sealed record ExecAnswer(int Status, string Stdout, string Stderr, int? Exit, string? Error, string? Rule, string? Approval, long? Bytes, bool Truncated, string Raw)
{
    public static ExecAnswer Parse(int status, string text)
    {
        if (status != 200)
        {
            using var refusal = JsonDocument.Parse(text);
            var root = refusal.RootElement;
            return new ExecAnswer(status, "", "", null, Text(root, "error"), Text(root, "rule"), Text(root, "approval"), null, false, text);
        }

        string stdout = "", stderr = "";
        int? exit = null;
        string? error = null;
        long? bytes = null;
        var truncated = false;
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            if (root.TryGetProperty("stream", out var stream))
            {
                if (stream.GetString() == "stdout")
                {
                    stdout += root.GetProperty("data").GetString();
                }
                else
                {
                    stderr += root.GetProperty("data").GetString();
                }

                continue;
            }

            exit = root.TryGetProperty("exit", out var e) && e.ValueKind == JsonValueKind.Number ? e.GetInt32() : null;
            error = Text(root, "error");
            bytes = root.TryGetProperty("bytes", out var b) ? b.GetInt64() : null;
            truncated = root.TryGetProperty("truncated", out var t) && t.GetBoolean();
        }

        return new ExecAnswer(status, stdout, stderr, exit, error, null, null, bytes, truncated, text);
    }

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public override string ToString() => $"{Status}: {Raw}";
}
