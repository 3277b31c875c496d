using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using OrleansGate.Host.Commands;
using OrleansGate.Host.DevIdp;

namespace OrleansGate.Tests.Commands;

public sealed class KubeConfigExecCredentialTests
{
    private const string Issuer = "https://idp.example.test/oauth2/default";

    [Fact]
    public void The_json_is_a_v1_ExecCredential_with_the_token_and_an_RFC3339_UTC_expiry()
    {
        var json = JsonNode.Parse(ExecCredential.Format("eyJ.a.b", new DateTimeOffset(2030, 1, 2, 3, 4, 5, 678, TimeSpan.FromHours(2))))!;

        Assert.Equal("client.authentication.k8s.io/v1", (string?)json["apiVersion"]);
        Assert.Equal("ExecCredential", (string?)json["kind"]);
        Assert.Equal("eyJ.a.b", (string?)json["status"]!["token"]);
        Assert.Equal("2030-01-02T01:04:05Z", (string?)json["status"]!["expirationTimestamp"]);
        Assert.Equal(3, json.AsObject().Count);
    }

    [Fact]
    public async Task Idp_token_with_exec_credential_prints_the_token_as_an_ExecCredential_expiring_expires_in_after_the_request()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 6, 1, 12, 0, 0, TimeSpan.Zero));
        using var http = new HttpClient(new IdpStub("""{"access_token":"eyJ.token.sig","token_type":"Bearer","expires_in":900}"""));
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var exitCode = await TokenCommand.RunAsync(http, time, Issuer, "agent-a", "secret", execCredential: true, stdout, stderr, default);

        Assert.True(exitCode == 0, stderr.ToString());
        var json = JsonNode.Parse(stdout.ToString())!;
        Assert.Equal("ExecCredential", (string?)json["kind"]);
        Assert.Equal("eyJ.token.sig", (string?)json["status"]!["token"]);
        Assert.Equal("2030-06-01T12:15:00Z", (string?)json["status"]!["expirationTimestamp"]);
    }

    [Theory]
    [InlineData("""{"access_token":"eyJ.token.sig"}""")]
    [InlineData("""{"access_token":"eyJ.token.sig","expires_in":"900"}""")]
    [InlineData("""{"access_token":"eyJ.token.sig","expires_in":-5}""")]
    public async Task Without_a_usable_expires_in_the_ExecCredential_has_no_expiry(string response)
    {
        using var http = new HttpClient(new IdpStub(response));
        using var stdout = new StringWriter();

        var exitCode = await TokenCommand.RunAsync(http, TimeProvider.System, Issuer, "agent-a", "secret", execCredential: true, stdout, TextWriter.Null, default);

        Assert.Equal(0, exitCode);
        var status = JsonNode.Parse(stdout.ToString())!["status"]!.AsObject();
        Assert.Equal("eyJ.token.sig", (string?)status["token"]);
        Assert.False(status.ContainsKey("expirationTimestamp"));
    }

    [Fact]
    public async Task Without_exec_credential_only_the_bare_token_is_printed()
    {
        using var http = new HttpClient(new IdpStub("""{"access_token":"eyJ.token.sig","expires_in":900}"""));
        using var stdout = new StringWriter();

        var exitCode = await TokenCommand.RunAsync(http, Issuer, "agent-a", "secret", stdout, TextWriter.Null, default);

        Assert.Equal(0, exitCode);
        Assert.Equal("eyJ.token.sig\n", stdout.ToString());
    }

    /// <summary>An issuer's discovery document and token endpoint, answering the token request with <paramref name="tokenResponse"/>.</summary>
    private sealed class IdpStub(string tokenResponse) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = request.Method == HttpMethod.Get
                ? new JsonObject { ["issuer"] = Issuer, ["token_endpoint"] = Issuer + "/v1/token" }.ToJsonString()
                : tokenResponse;
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") });
        }
    }
}
