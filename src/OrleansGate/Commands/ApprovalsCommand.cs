using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using OrleansGate.Host.Hosting;

namespace OrleansGate.Host.Commands;

/// <summary>
/// <c>orleansgate approvals list | show ID | approve ID | deny ID</c>: the approvers' API, called with the approver's own
/// token (<c>--token-file</c>, or <c>ORLEANSGATE_APPROVER_TOKEN</c>), never with cluster access. The token is never printed.
/// </summary>
public static class ApprovalsCommand
{
    private const int Refused = 2;

    public static async Task<int> RunAsync(Arguments arguments, IConfiguration configuration, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(configuration);
        var sub = arguments.TakeCommand() ?? throw new CommandLineException("approvals needs a subcommand: list, show, approve or deny");
        var url = arguments.TakeValue("--url") ?? Environment.GetEnvironmentVariable("ORLEANSGATE_URL") ?? DefaultUrl(configuration);
        var token = ReadToken(arguments.TakeValue("--token-file"));
        var json = arguments.TakeFlag("--json");
        HttpRequestMessage request;
        switch (sub)
        {
            case "list":
                arguments.EnsureEmpty();
                request = new HttpRequestMessage(HttpMethod.Get, $"{url.TrimEnd('/')}/api/approvals");
                break;
            case "show":
                request = new HttpRequestMessage(HttpMethod.Get, $"{url.TrimEnd('/')}/api/approvals/{Id(arguments)}");
                arguments.EnsureEmpty();
                break;
            case "approve" or "deny":
                {
                    var id = Id(arguments);
                    var comment = arguments.TakeValue("--comment");
                    var reuse = sub == "approve" ? arguments.TakeValue("--reuse") : null;
                    arguments.EnsureEmpty();
                    request = new HttpRequestMessage(HttpMethod.Post, $"{url.TrimEnd('/')}/api/approvals/{id}/{sub}")
                    {
                        Content = new StringContent(Body(comment, reuse), Encoding.UTF8, "application/json"),
                    };
                    break;
                }

            default:
                throw new CommandLineException($"unknown approvals subcommand '{sub}' (expected list, show, approve or deny)");
        }

        using (request)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var handler = new SocketsHttpHandler { AllowAutoRedirect = false };
            using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30), MaxResponseContentBufferSize = 4 * 1024 * 1024 };
            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, ct);
            }
            catch (HttpRequestException e)
            {
                await stderr.WriteLineAsync($"error: {url} could not be reached: {e.Message}");
                return 1;
            }

            using (response)
            {
                var body = await response.Content.ReadAsStringAsync(ct);
                if (!response.IsSuccessStatusCode)
                {
                    await stderr.WriteLineAsync($"error: HTTP {(int)response.StatusCode}: {Message(body)}");
                    return Refused;
                }

                await stdout.WriteLineAsync(json ? body : Describe(sub, body));
                return 0;
            }
        }
    }

    private static string DefaultUrl(IConfiguration configuration)
    {
        var gateway = configuration.GetSection(GatewayHost.Section);
        if (gateway["Approvals:ApiUrl"] is { Length: > 0 } api)
        {
            return api;
        }

        var http = gateway.GetSection("Http").Get<HttpListenerOptions>() ?? new HttpListenerOptions();
        return $"http://{http.Address}:{http.Port}";
    }

    private static string ReadToken(string? file)
    {
        var token = file is not null
            ? (File.Exists(file) ? File.ReadLines(file).FirstOrDefault() : throw new CommandLineException($"token file '{file}' does not exist"))
            : Environment.GetEnvironmentVariable("ORLEANSGATE_APPROVER_TOKEN");
        return string.IsNullOrWhiteSpace(token)
            ? throw new CommandLineException("an approver's token is needed: --token-file FILE or ORLEANSGATE_APPROVER_TOKEN")
            : token.Trim();
    }

    private static string Id(Arguments arguments) =>
        arguments.TakeCommand() ?? throw new CommandLineException("an approval id is needed (apr-...)");

    private static string Body(string? comment, string? reuse)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            if (comment is not null)
            {
                w.WriteString("comment", comment);
            }

            if (reuse is not null)
            {
                w.WriteString("reuse", reuse);
            }

            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static string Message(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("message", out var m) ? m.GetString() ?? body : body;
        }
        catch (JsonException)
        {
            return body.Length > 300 ? body[..300] : body;
        }
    }

    /// <summary>A few lines per approval for people; --json gives the API's answer as it is.</summary>
    private static string Describe(string sub, string body)
    {
        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        var text = new StringBuilder();
        if (sub == "list")
        {
            var approvals = root.GetProperty("approvals");
            if (approvals.GetArrayLength() == 0)
            {
                return "no pending approvals you may decide";
            }

            foreach (var a in approvals.EnumerateArray())
            {
                Approval(text, a);
                text.AppendLine();
            }

            return text.ToString().TrimEnd();
        }

        if (sub == "show")
        {
            Approval(text, root);
            return text.ToString().TrimEnd();
        }

        text.AppendLine(root.GetProperty("message").GetString());
        if (root.TryGetProperty("approval", out var approval))
        {
            Approval(text, approval);
        }

        return text.ToString().TrimEnd();
    }

    private static void Approval(StringBuilder text, JsonElement a)
    {
        var agent = a.GetProperty("agent");
        text.AppendLine($"{a.GetProperty("id").GetString()}  {a.GetProperty("status").GetString()}  {a.GetProperty("seconds_left").GetInt64()} s left");
        text.AppendLine($"  agent:     {agent.GetProperty("subject").GetString()} ({agent.GetProperty("issuer").GetString()})");
        text.AppendLine($"  target:    {a.GetProperty("target").GetString()} ({a.GetProperty("protocol").GetString()})");
        text.AppendLine($"  rule:      {a.GetProperty("rule").GetString()}: {a.GetProperty("reason").GetString()}");
        text.AppendLine($"  statement: {a.GetProperty("statement").GetString() ?? a.GetProperty("normalized").GetString()}");
        var approvals = a.GetProperty("votes").EnumerateArray().Count(v => v.GetProperty("approve").GetBoolean());
        text.AppendLine($"  approvals: {approvals} of {a.GetProperty("required").GetInt32()}");
        foreach (var v in a.GetProperty("votes").EnumerateArray())
        {
            text.AppendLine($"    {(v.GetProperty("approve").GetBoolean() ? "approved" : "denied")} by {v.GetProperty("approver").GetString()}: {v.GetProperty("comment").GetString()}");
        }
    }
}
