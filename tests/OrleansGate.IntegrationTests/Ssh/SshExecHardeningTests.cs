using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using OrleansGate.Edge.Http;
using OrleansGate.Edge.Ssh;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.IntegrationTests.Mcp;
using OrleansGate.Policy.Masking;

namespace OrleansGate.IntegrationTests.Ssh;

/// <summary>
/// <c>POST /api/exec</c> against bodies that try to be read two ways or to break the reader, and the output writer
/// against a secret the host's writes cut in two. The bodies are refused before the token is looked at, so a node with
/// the agent listener and no SSH host is enough (<see cref="McpGateway"/>).
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class SshExecHardeningTests(GatewayFixture fixture) : IAsyncLifetime
{
    private McpGateway _gateway = null!;

    public async Task InitializeAsync() => _gateway = await McpGateway.StartAsync(fixture);

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    /// <summary>The last "command" was the one decided and run; a proxy or log that reads the first would have seen "ls".</summary>
    [Theory]
    [InlineData("""{"target":"web1","command":"ls","command":"rm -rf /"}""", "key 'command' is given more than once")]
    [InlineData("""{"target":"web1","target":"web2","command":"ls"}""", "key 'target' is given more than once")]
    [InlineData("""{"target":"web1","command":"ls","timeout_seconds":5,"timeout_seconds":3600}""", "key 'timeout_seconds' is given more than once")]
    public async Task Body_with_a_key_given_twice_is_refused_with_400(string body, string error)
    {
        var (status, message) = await PostExecAsync(body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(error, message);
    }

    /// <summary>These threw out of the body reader (InvalidOperationException, OverflowException): a 500, not a refusal.</summary>
    [Theory]
    [InlineData("""{"target":"web1","command":"ls","timeout_seconds":"5"}""", "timeout_seconds must be a positive number")]
    [InlineData("""{"target":"web1","command":"ls","timeout_seconds":{"a":1}}""", "timeout_seconds must be a positive number")]
    [InlineData("""{"target":"web1","command":"ls","timeout_seconds":true}""", "timeout_seconds must be a positive number")]
    [InlineData("""{"target":"web1","command":"ls","timeout_seconds":1e300}""", "timeout_seconds 1E+300 is over the gateway's limit of 600 s")]
    public async Task Timeout_that_is_no_usable_number_is_refused_with_400(string body, string error)
    {
        var (status, message) = await PostExecAsync(body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(error, message);
    }

    /// <summary>JsonDocument reads such a string lazily: GetString threw InvalidOperationException, a 500.</summary>
    [Fact]
    public async Task Body_that_is_not_utf8_is_refused_with_400()
    {
        using var http = _gateway.AgentHttpClient();
        using var content = new ByteArrayContent([.. """{"target":"web1","command":"ls """u8, 0xFF, 0xFE, .. "\"}"u8]);
        content.Headers.ContentType = new("application/json");

        using var response = await http.PostAsync("api/exec", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("the body is not UTF-8", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    /// <summary>
    /// A PEM key whose BEGIN line and body came in two reads was masked only in the first part (from BEGIN to the end of
    /// that part); the rest of the key, with its END line, went out as it was.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Private_key_cut_across_reads_is_masked_whole(int cutAfterLine)
    {
        var lines = new[] { "before\n", "-----BEGIN RSA PRIVATE KEY-----\n", "MIIEowIBAAKCAQEAfirstpartofthekey\n", "SECONDPARTOFTHEKEYxyz\n", "-----END RSA PRIVATE KEY-----\n", "after\n" };
        var (context, body) = Response();
        var writer = new SshOutputWriter(context.Response, Detectors("pem_private_key"));

        await writer.WriteAsync(SshOutputStream.Stdout, Encoding.UTF8.GetBytes(string.Concat(lines[..(cutAfterLine + 1)])));
        await writer.WriteAsync(SshOutputStream.Stdout, Encoding.UTF8.GetBytes(string.Concat(lines[(cutAfterLine + 1)..])));
        await writer.EndAsync(json => json.WriteNumber("exit", 0));

        var stdout = Stdout(body);
        Assert.DoesNotContain("firstpartofthekey", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("SECONDPARTOFTHEKEY", stdout, StringComparison.Ordinal);
        Assert.Contains("before\n", stdout, StringComparison.Ordinal);
        Assert.Contains("after\n", stdout, StringComparison.Ordinal);
        Assert.Equal(1, writer.ValuesMasked);
    }

    [Theory]
    [InlineData("owner: alice@exa", "mple.com\nnext\n")]
    [InlineData("owner: alice@example.com\r", "\rnext\n")]
    [InlineData("owner: al", "ice@example.com")]
    public async Task Email_cut_across_reads_without_a_newline_is_masked(string first, string second)
    {
        var (context, body) = Response();
        var writer = new SshOutputWriter(context.Response, Detectors("email"));

        await writer.WriteAsync(SshOutputStream.Stdout, Encoding.UTF8.GetBytes(first));
        await writer.WriteAsync(SshOutputStream.Stdout, Encoding.UTF8.GetBytes(second));
        await writer.EndAsync(json => json.WriteNumber("exit", 0));

        var stdout = Stdout(body);
        Assert.DoesNotContain("alice", stdout, StringComparison.Ordinal);
        Assert.Contains("owner: ", stdout, StringComparison.Ordinal);
        Assert.Equal(1, writer.ValuesMasked);
    }

    private async Task<(HttpStatusCode Status, string? Error)> PostExecAsync(string body)
    {
        using var http = _gateway.AgentHttpClient();
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await http.PostAsync("api/exec", content);
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text);
        return (response.StatusCode, document.RootElement.GetProperty("error").GetString());
    }

    private static ExecDetectors Detectors(string name) => new([DetectorSet.Create([name], new Dictionary<string, string>())]);

    private static (DefaultHttpContext Context, MemoryStream Body) Response()
    {
        var body = new MemoryStream();
        var context = new DefaultHttpContext();
        context.Response.Body = body;
        return (context, body);
    }

    /// <summary>The stdout data of every NDJSON line, joined; the last line must be the ending.</summary>
    private static string Stdout(MemoryStream body)
    {
        var lines = Encoding.UTF8.GetString(body.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(JsonDocument.Parse(lines[^1]).RootElement.TryGetProperty("exit", out _));
        return string.Concat(lines[..^1].Select(l => JsonDocument.Parse(l).RootElement.GetProperty("data").GetString()));
    }
}
