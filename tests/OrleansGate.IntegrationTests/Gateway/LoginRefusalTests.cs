using System.Security.Cryptography;
using System.Text;
using Npgsql;
using OrleansGate.IntegrationTests.Fixtures;

namespace OrleansGate.IntegrationTests.Gateway;

/// <summary>Nothing unsigned or mis-signed passes, and a refused login never dials the target.</summary>
[Collection(GatewayCollection.Name)]
public sealed class LoginRefusalTests(GatewayFixture fixture)
{
    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string Base64Url(string json) => Base64Url(Encoding.UTF8.GetBytes(json));

    private static byte[] FromBase64Url(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '='));
    }

    private async Task<(string Header, string Payload)> RealTokenPartsAsync()
    {
        var parts = (await fixture.Node.GetTokenAsync()).Split('.');
        return (Encoding.UTF8.GetString(FromBase64Url(parts[0])), Encoding.UTF8.GetString(FromBase64Url(parts[1])));
    }

    public static TheoryData<string> ForgeryKinds => ["other-key", "tampered-payload", "alg-none", "unsigned-empty-signature", "garbage"];

    [Theory]
    [MemberData(nameof(ForgeryKinds))]
    public async Task Forged_token_is_refused_with_28P01_and_no_upstream_connection(string kind)
    {
        var token = await ForgeAsync(kind);
        using var dials = new NodeUpstreamDialCounter(fixture.Node);
        await using var connection = new NpgsqlConnection(fixture.Node.ConnectionString(token));
        var error = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());
        Assert.Equal("28P01", error.SqlState);
        Assert.StartsWith("token rejected", error.MessageText, StringComparison.Ordinal);
        Assert.Equal(0, dials.Count);
    }

    [Fact]
    public async Task Expired_token_signed_by_the_real_key_is_refused_with_28P01_and_no_upstream_connection()
    {
        // Signed with the identity provider's own key, so only the expiry is wrong.
        var (header, payload) = await RealTokenPartsAsync();
        var now = DateTimeOffset.UtcNow;
        var claims = System.Text.Json.Nodes.JsonNode.Parse(payload)!.AsObject();
        claims["iat"] = now.AddHours(-1).ToUnixTimeSeconds();
        claims["exp"] = now.AddMinutes(-10).ToUnixTimeSeconds();
        using var rsa = RSA.Create();
        rsa.ImportFromPem(await File.ReadAllTextAsync(Path.Combine(fixture.Settings.KeyDirectory, "signing-key.pem")));
        var signingInput = $"{Base64Url(header)}.{Base64Url(claims.ToJsonString())}";
        var token = $"{signingInput}.{Base64Url(rsa.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))}";

        using var dials = new NodeUpstreamDialCounter(fixture.Node);
        await using var connection = new NpgsqlConnection(fixture.Node.ConnectionString(token));
        var error = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());
        Assert.Equal("28P01", error.SqlState);
        Assert.Equal("token rejected for user \"agent-a\": token expired", error.MessageText);
        Assert.Equal(0, dials.Count);
    }

    [Fact]
    public async Task Valid_token_dials_the_upstream_exactly_once()
    {
        // The positive control for the test above: the counter does see a real login.
        var token = await fixture.Node.GetTokenAsync();
        using var dials = new NodeUpstreamDialCounter(fixture.Node);
        await using var connection = new NpgsqlConnection(fixture.Node.ConnectionString(token));
        await connection.OpenAsync();
        Assert.Equal(1, dials.Count);
    }

    [Fact]
    public async Task Unknown_target_is_refused_with_3D000_after_authentication()
    {
        await using var connection = new NpgsqlConnection(fixture.Node.ConnectionString(await fixture.Node.GetTokenAsync(), database: "no_such_target"));
        var error = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());
        Assert.Equal("3D000", error.SqlState);
    }

    [Fact]
    public async Task Startup_options_parameter_is_refused_with_0A000()
    {
        // "options" could carry "-c role=…" to the target past the statement policy.
        var builder = new NpgsqlConnectionStringBuilder(fixture.Node.ConnectionString(await fixture.Node.GetTokenAsync())) { Options = "-c role=postgres" };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        var error = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());
        Assert.Equal("0A000", error.SqlState);
    }

    private async Task<string> ForgeAsync(string kind)
    {
        var (header, payload) = await RealTokenPartsAsync();
        switch (kind)
        {
            case "other-key":
                {
                    // Same header (same kid), same claims, signed by a key the IdP never published.
                    using var rsa = RSA.Create(2048);
                    var signingInput = $"{Base64Url(header)}.{Base64Url(payload)}";
                    var signature = rsa.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                    return $"{signingInput}.{Base64Url(signature)}";
                }

            case "tampered-payload":
                {
                    var real = (await fixture.Node.GetTokenAsync()).Split('.');
                    var claims = payload.Replace(GatewaySettings.AgentClientId, GatewaySettings.OtherClientId, StringComparison.Ordinal);
                    Assert.NotEqual(payload, claims);
                    return $"{real[0]}.{Base64Url(claims)}.{real[2]}";
                }

            case "alg-none":
                return $"{Base64Url("{\"alg\":\"none\",\"typ\":\"JWT\"}")}.{Base64Url(payload)}.";

            case "unsigned-empty-signature":
                return $"{Base64Url(header)}.{Base64Url(payload)}.";

            default:
                return "not-a-token";
        }
    }
}
