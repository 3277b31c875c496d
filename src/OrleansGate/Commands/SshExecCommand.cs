using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using OrleansGate.Edge.Http;
using OrleansGate.Edge.Ssh;
using OrleansGate.Host.Hosting;

namespace OrleansGate.Host.Commands;

/// <summary>
/// <c>orleansgate exec TARGET [--url URL] [--token-file FILE] [--ca-file PEM] [--timeout SECONDS] -- COMMAND…</c>: runs
/// a command on an SSH target through the gateway (<c>POST /api/exec</c>), as <c>ssh host COMMAND</c> would, with the
/// agent's own token. The words after <c>--</c> are joined with spaces into one command line, which the host's shell
/// reads (so quote for that shell, as with ssh). stdout and stderr are the command's; the exit status is the command's,
/// or 255 when the gateway refused it or it could not run (as ssh's own errors), with the reason on stderr.
/// </summary>
public static class SshExecCommand
{
    /// <summary>The exit status of a command that was refused, killed or not run.</summary>
    public const int GatewayError = 255;

    public static async Task<int> RunAsync(Arguments arguments, IReadOnlyList<string> command, IConfiguration configuration, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(configuration);
        var target = arguments.TakeCommand() ?? throw new CommandLineException("exec needs a target: orleansgate exec TARGET -- COMMAND...");
        var gateway = configuration.GetSection(GatewayHost.Section);
        var agentHttp = gateway.GetSection("AgentHttp").Get<AgentHttpOptions>() ?? new AgentHttpOptions();
        var url = arguments.TakeValue("--url") ?? Environment.GetEnvironmentVariable("ORLEANSGATE_AGENT_URL") ?? DefaultUrl(agentHttp);
        var token = ReadToken(arguments.TakeValue("--token-file"));
        var caFile = arguments.TakeValue("--ca-file") ?? (agentHttp.Insecure ? null : agentHttp.Tls.CertificatePath);
        var timeoutText = arguments.TakeValue("--timeout");
        arguments.EnsureEmpty();
        if (command.Count == 0)
        {
            throw new CommandLineException("exec needs a command after '--': orleansgate exec TARGET -- COMMAND...");
        }

        double? timeout = timeoutText is null ? null
            : double.TryParse(timeoutText, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0 ? seconds
            : throw new CommandLineException($"--timeout must be a positive number of seconds, not '{timeoutText}'");

        using var handler = new SocketsHttpHandler();
        if (caFile is { Length: > 0 })
        {
            if (!File.Exists(caFile))
            {
                throw new CommandLineException($"CA file '{caFile}' does not exist");
            }

            var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
            policy.CustomTrustStore.ImportFromPemFile(caFile);
            handler.SslOptions.CertificateChainPolicy = policy;
        }

        using var http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        using var request = new HttpRequestMessage(HttpMethod.Post, url.TrimEnd('/') + SshExecHandler.Path)
        {
            Content = new StringContent(Body(target, string.Join(' ', command), timeout), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        }
        catch (HttpRequestException e)
        {
            await stderr.WriteLineAsync($"orleansgate exec: the gateway at {url} could not be reached: {e.Message}");
            return GatewayError;
        }

        using (response)
        {
            await using var body = await response.Content.ReadAsStreamAsync(ct);
            using var reader = new StreamReader(body, Encoding.UTF8);
            if (!response.IsSuccessStatusCode)
            {
                var text = await reader.ReadToEndAsync(ct);
                await stderr.WriteLineAsync($"orleansgate exec: refused ({(int)response.StatusCode}): {ErrorOf(text)}");
                return GatewayError;
            }

            while (await reader.ReadLineAsync(ct) is { } line)
            {
                if (line.Length == 0)
                {
                    continue;
                }

                using var json = JsonDocument.Parse(line);
                var root = json.RootElement;
                if (root.TryGetProperty("stream", out var stream))
                {
                    var data = root.GetProperty("data").GetString() ?? "";
                    await (stream.GetString() == "stderr" ? stderr : stdout).WriteAsync(data);
                    continue;
                }

                if (root.TryGetProperty("error", out var error))
                {
                    await stderr.WriteLineAsync($"orleansgate exec: {error.GetString()}");
                }

                return root.TryGetProperty("exit", out var exit) && exit.ValueKind == JsonValueKind.Number ? exit.GetInt32() : GatewayError;
            }

            await stderr.WriteLineAsync("orleansgate exec: the gateway's answer ended before the command's exit status");
            return GatewayError;
        }
    }

    private static string DefaultUrl(AgentHttpOptions agentHttp) =>
        agentHttp.Port == 0
            ? throw new CommandLineException("no --url given, ORLEANSGATE_AGENT_URL is not set and the configuration has no AgentHttp:Port")
            : $"{(agentHttp.Insecure ? "http" : "https")}://{agentHttp.Address}:{agentHttp.Port}";

    private static string ReadToken(string? file)
    {
        var token = file is not null
            ? (File.Exists(file) ? File.ReadLines(file).FirstOrDefault() : throw new CommandLineException($"token file '{file}' does not exist"))
            : Environment.GetEnvironmentVariable("ORLEANSGATE_TOKEN");
        return string.IsNullOrWhiteSpace(token)
            ? throw new CommandLineException("an agent's token is needed: --token-file FILE or ORLEANSGATE_TOKEN")
            : token.Trim();
    }

    private static string Body(string target, string command, double? timeout)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("target", target);
            json.WriteString("command", command);
            if (timeout is { } seconds)
            {
                json.WriteNumber("timeout_seconds", seconds);
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static string ErrorOf(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("error", out var error) ? error.GetString() ?? body
                : json.RootElement.TryGetProperty("message", out var message) ? message.GetString() ?? body
                : body;
        }
        catch (JsonException)
        {
            return body.Length > 500 ? body[..500] : body;
        }
    }
}
