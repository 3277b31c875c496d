using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Npgsql;
using OrleansGate.Host.Hosting;
using OrleansGate.IntegrationTests.Fixtures;

namespace OrleansGate.IntegrationTests.Identity;

/// <summary>
/// Every known token attack, crafted in the test (with the identity provider's own signing key where a real signature
/// matters) and sent as the password of a real Npgsql login: each is refused with FATAL 28P01 naming its reason, the
/// node's log names the same reason (and never holds the token or the target's password), and no upstream connection
/// is dialled.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class TokenAttackTests(GatewayFixture fixture)
{
    /// <summary>Entries logged during the last refused login (see <see cref="LoginAsync"/>).</summary>
    private IReadOnlyList<CapturedLogEntry> _logged = [];

    public static TheoryData<string, string> Attacks => new()
    {
        { "alg-none", "algorithm 'none' not allowed" },
        { "alg-None", "algorithm 'None' not allowed" },
        { "alg-NONE", "algorithm 'NONE' not allowed" },
        { "hs256-with-public-key-as-secret", "algorithm 'HS256' not allowed" },
        { "alg-wrong-case", "algorithm 'rs256' not allowed" },
        { "alg-outside-allow-list", "algorithm 'RS384' not allowed" },
        { "embedded-jwk", "header parameter 'jwk' not allowed" },
        { "embedded-x5c", "header parameter 'x5c' not allowed" },
        { "crit-unknown", "header parameter 'crit' not allowed" },
        { "crit-malformed", "header parameter 'crit' not allowed" },
        { "jwe", "encrypted tokens (JWE) are not accepted" },
        { "nested-token-as-payload", "nested tokens (payload is a token) are not accepted" },
        { "cty-header", "nested tokens (cty) are not accepted" },
        { "wrong-aud", "audience not accepted" },
        { "missing-aud", "audience not accepted" },
        { "wrong-iss", "unknown issuer" },
        { "iss-trailing-slash", "unknown issuer" },
        { "missing-iss", "issuer missing" },
        { "expired", "token expired" },
        { "nbf-future", "token not yet valid" },
        { "iat-future", "issued-at (iat) in the future" },
        { "missing-exp", "expiration (exp) missing" },

        // Over 8 KiB: refused on the password message's length, before the validator (see the test on that below).
        { "non-base64url-characters", "token malformed" },
        { "other-key-same-kid", "signature invalid" },
        { "ecdsa-r-zero", "ECDSA signature with r or s zero" },
        { "ecdsa-s-zero", "ECDSA signature with r or s zero" },
    };

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task Crafted_token_is_refused_with_28P01_and_its_reason(string attack, string reason)
    {
        var token = await CraftAsync(attack);

        var error = await LoginAsync(token);

        Assert.Equal("28P01", error.SqlState);
        Assert.Equal($"token rejected for user \"{GatewaySettings.AgentClientId}\": {reason}", error.MessageText);
        AssertLoggedRefusal(reason);
    }

    [Theory]
    [InlineData("jku")]
    [InlineData("x5u")]
    public async Task Key_location_in_the_header_is_refused_with_28P01_and_never_contacted(string parameter)
    {
        // A real listener stands in for the attacker's key server; a fetch would show up as a pending connection.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var url = $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/jwks.json";
            var (header, claims) = await RealPartsAsync();
            header[parameter] = url;
            var token = await SignAsync(header, claims);

            var error = await LoginAsync(token);

            Assert.Equal("28P01", error.SqlState);
            Assert.Equal($"token rejected for user \"{GatewaySettings.AgentClientId}\": header parameter '{parameter}' not allowed", error.MessageText);
            AssertLoggedRefusal($"header parameter '{parameter}' not allowed");
            Assert.False(listener.Pending(), $"the gateway connected to the {parameter} URL");
        }
        finally
        {
            listener.Stop();
        }
    }

    [Fact]
    public async Task Token_of_the_wrong_type_is_refused_with_28P01_where_the_issuer_requires_one()
    {
        // The identity provider writes typ "JWT"; this edge's issuer demands RFC 9068 access tokens ("at+jwt").
        var overrides = new Dictionary<string, string?> { ["OrleansGate:Identity:Issuers:0:TokenType"] = "at+jwt" };
        await using var edge = await GatewayNode.StartAsync(fixture.Settings.OtherNode("edge-typ", overrides), GatewayRole.Edge);
        var (header, claims) = await RealPartsAsync();
        Assert.Equal("JWT", header["typ"]?.GetValue<string>());

        var error = await LoginAsync(await SignAsync(header, claims), edge);

        Assert.Equal("28P01", error.SqlState);
        Assert.Equal($"token rejected for user \"{GatewaySettings.AgentClientId}\": token type (typ) not accepted", error.MessageText);
        AssertLoggedRefusal("token type (typ) not accepted");

        // Control: the same edge admits the same claims once the header says what the issuer requires.
        header["typ"] = "at+jwt";
        await using var admitted = new NpgsqlConnection(edge.ConnectionString(await SignAsync(header, claims)));
        await admitted.OpenAsync();
    }

    [Theory]
    [InlineData(8 * 1024, "token malformed", true)]
    [InlineData((8 * 1024) + 1, "token too large", false)]
    [InlineData(64 * 1024, "token too large", false)]
    public async Task Password_message_over_8_kib_is_refused_with_28P01_from_its_length_field_before_any_decoding(int length, string reason, bool decoded)
    {
        // A raw socket, so the password message is exactly the token plus its zero byte; no dots, so a decoded one is malformed.
        var token = new string('a', length);
        var mark = Log.Mark;
        using var dials = new NodeUpstreamDialCounter(fixture.Node);
        await using var client = await RawPgClient.ConnectAsync(fixture.Node.Settings.PostgresPort);

        var refused = Assert.Single(await client.LoginAsync(GatewaySettings.AgentClientId, GatewaySettings.TargetName, token), m => m.Code == 'E');

        var fields = Postgres.Protocol.BackendMessages.ReadErrorOrNotice(new System.Buffers.ReadOnlySequence<byte>(refused.Payload));
        Assert.Equal("28P01", fields['C']);
        Assert.Equal($"token rejected for user \"{GatewaySettings.AgentClientId}\": {reason}", fields['M']);
        Assert.Equal(0, dials.Count);
        _logged = Log.Since(mark);
        Assert.Contains(_logged, e => e.Message.StartsWith("Token rejected from", StringComparison.Ordinal) && e.Value("Reason") == reason);

        // Only a token that fits reaches the validator (its event 2100); an oversized one is refused on the frame's length.
        Assert.Equal(decoded, _logged.Any(e => e.Category == typeof(Edge.Identity.JwtTokenValidator).FullName && e.EventId.Id == 2100));
        AssertNoSecretLogged(_logged, token);
    }

    [Fact]
    public async Task Token_resigned_with_the_real_key_logs_in()
    {
        // Positive control: the crafting path itself yields a valid token, so refusals above are due to each attack.
        var (header, claims) = await RealPartsAsync();
        var token = await SignAsync(header, claims);
        var mark = Log.Mark;
        using var dials = new NodeUpstreamDialCounter(fixture.Node);
        await using var connection = new NpgsqlConnection(fixture.Node.ConnectionString(token));
        await connection.OpenAsync();
        AssertNoSecretLogged(Log.Since(mark), token);

        // The per-node dial counter sees this login's dial, so its zero in the refusals above is meaningful.
        Assert.Equal(1, dials.Count);
    }

    private CapturedLog Log => CapturedLog.Of(fixture.Node);

    private async Task<PostgresException> LoginAsync(string token, GatewayNode? edge = null)
    {
        edge ??= fixture.Node;
        var log = CapturedLog.Of(edge);
        using var dials = new NodeUpstreamDialCounter(edge);
        var mark = log.Mark;
        await using var connection = new NpgsqlConnection(edge.ConnectionString(token));
        var error = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());
        Assert.Equal(0, dials.Count);

        // The refusal is logged before the client is answered, so everything is in the capture by now.
        _logged = log.Since(mark);
        Assert.NotEmpty(_logged);
        AssertNoSecretLogged(_logged, token);
        return error;
    }

    /// <summary>
    /// The validator logged exactly this reason for the refusal (its warning, event 2100), and the session logged it too.
    /// Npgsql may try a refused login twice (with and without GSS negotiation), so every attempt must show the reason.
    /// </summary>
    private void AssertLoggedRefusal(string reason)
    {
        var refusals = _logged.Where(e => e.Category == typeof(Edge.Identity.JwtTokenValidator).FullName && e.EventId.Id == 2100).ToList();
        Assert.NotEmpty(refusals);
        Assert.All(refusals, refusal =>
        {
            Assert.Equal(LogLevel.Warning, refusal.Level);
            Assert.Equal(reason, refusal.Value("Reason"));
            Assert.StartsWith($"Token refused: {reason} (", refusal.Message, StringComparison.Ordinal);
        });
        Assert.Contains(_logged, e => e.Message.StartsWith("Token rejected from", StringComparison.Ordinal) && e.Value("Reason") == reason);
    }

    /// <summary>Neither the token (nor any long part of it) nor the target's password appears in any rendered message, value or exception.</summary>
    private void AssertNoSecretLogged(IReadOnlyList<CapturedLogEntry> entries, string token)
    {
        var secrets = token.Split('.').Where(part => part.Length >= 16).Append(token).Append(fixture.Settings.TargetPassword).ToList();
        foreach (var entry in entries)
        {
            foreach (var secret in secrets)
            {
                Assert.False(entry.Contains(secret), $"a secret was logged by {entry.Category} (event {entry.EventId.Id})");
            }
        }
    }

    private async Task<string> CraftAsync(string attack)
    {
        var (header, claims) = await RealPartsAsync();
        var now = DateTimeOffset.UtcNow;
        switch (attack)
        {
            case "alg-none" or "alg-None" or "alg-NONE":
                header["alg"] = attack[4..];
                return $"{Encode(header)}.{Encode(claims)}.";

            case "hs256-with-public-key-as-secret":
                {
                    // The RS256→HS256 swap: HMAC keyed with the public key anyone can download from the JWKS.
                    header["alg"] = "HS256";
                    using var rsa = await SigningKeyAsync();
                    var secret = Encoding.ASCII.GetBytes(rsa.ExportSubjectPublicKeyInfoPem());
                    var input = $"{Encode(header)}.{Encode(claims)}";
                    return $"{input}.{Base64Url(HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(input)))}";
                }

            case "alg-wrong-case":
                header["alg"] = "rs256";
                return await SignAsync(header, claims);

            case "alg-outside-allow-list":
                {
                    header["alg"] = "RS384";
                    using var rsa = await SigningKeyAsync();
                    var input = $"{Encode(header)}.{Encode(claims)}";
                    return $"{input}.{Base64Url(rsa.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA384, RSASignaturePadding.Pkcs1))}";
                }

            case "embedded-jwk":
                {
                    // Signed by the attacker's key, which the header offers as the one to verify with.
                    using var attacker = RSA.Create(2048);
                    var p = attacker.ExportParameters(false);
                    header["jwk"] = new JsonObject { ["kty"] = "RSA", ["n"] = Base64Url(p.Modulus!), ["e"] = Base64Url(p.Exponent!) };
                    return Sign(attacker, header, claims);
                }

            case "embedded-x5c":
                {
                    using var attacker = RSA.Create(2048);
                    var request = new CertificateRequest("CN=attacker", attacker, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                    using var certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(1));
                    header["x5c"] = new JsonArray(Convert.ToBase64String(certificate.RawData));
                    return Sign(attacker, header, claims);
                }

            case "crit-unknown":
                header["crit"] = new JsonArray("urn:example:must-understand");
                header["urn:example:must-understand"] = true;
                return await SignAsync(header, claims);

            case "crit-malformed":
                header["crit"] = 42;
                return await SignAsync(header, claims);

            case "jwe":
                return $"{Encode(new JsonObject { ["alg"] = "RSA-OAEP", ["enc"] = "A256GCM" })}.{Base64Url(RandomNumberGenerator.GetBytes(256))}.{Base64Url(RandomNumberGenerator.GetBytes(12))}.{Base64Url(RandomNumberGenerator.GetBytes(64))}.{Base64Url(RandomNumberGenerator.GetBytes(16))}";

            case "cty-header":
                header["cty"] = "JWT";
                return await SignAsync(header, claims);

            case "nested-token-as-payload":
                {
                    // A signed token whose payload is itself a token (no cty announcing it): the outer one's claims are not the agent's.
                    var inner = await SignAsync((JsonObject)header.DeepClone(), (JsonObject)claims.DeepClone());
                    var input = $"{Encode(header)}.{Base64Url(Encoding.ASCII.GetBytes(inner))}";
                    using var rsa = await SigningKeyAsync();
                    return $"{input}.{Base64Url(rsa.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))}";
                }

            case "wrong-aud":
                claims["aud"] = "api://someone-else";
                return await SignAsync(header, claims);

            case "missing-aud":
                claims.Remove("aud");
                return await SignAsync(header, claims);

            case "wrong-iss":
                claims["iss"] = "https://evil.example.test/oauth2/default";
                return await SignAsync(header, claims);

            case "iss-trailing-slash":
                claims["iss"] = fixture.Settings.Issuer + "/";
                return await SignAsync(header, claims);

            case "missing-iss":
                claims.Remove("iss");
                return await SignAsync(header, claims);

            case "expired":
                claims["iat"] = now.AddHours(-1).ToUnixTimeSeconds();
                claims["exp"] = now.AddSeconds(-61).ToUnixTimeSeconds();
                return await SignAsync(header, claims);

            case "nbf-future":
                claims["nbf"] = now.AddMinutes(5).ToUnixTimeSeconds();
                return await SignAsync(header, claims);

            case "iat-future":
                claims["iat"] = now.AddMinutes(5).ToUnixTimeSeconds();
                return await SignAsync(header, claims);

            case "missing-exp":
                claims.Remove("exp");
                return await SignAsync(header, claims);

            case "non-base64url-characters":
                {
                    var token = await SignAsync(header, claims);
                    return token[..^2] + "+/";
                }

            case "ecdsa-r-zero" or "ecdsa-s-zero":
                {
                    // The "psychic signature" (CVE-2022-21449): r or s zero, which a careless verifier accepts for any key.
                    header["alg"] = "ES256";
                    var signature = RandomNumberGenerator.GetBytes(64);
                    Array.Clear(signature, attack == "ecdsa-r-zero" ? 0 : 32, 32);
                    return $"{Encode(header)}.{Encode(claims)}.{Base64Url(signature)}";
                }

            case "other-key-same-kid":
                {
                    using var attacker = RSA.Create(2048);
                    return Sign(attacker, header, claims);
                }

            default:
                throw new ArgumentOutOfRangeException(nameof(attack), attack, "no such attack");
        }
    }

    private async Task<(JsonObject Header, JsonObject Claims)> RealPartsAsync()
    {
        var parts = (await fixture.Node.GetTokenAsync()).Split('.');
        return (Decode(parts[0]), Decode(parts[1]));
    }

    private async Task<RSA> SigningKeyAsync()
    {
        var rsa = RSA.Create();
        rsa.ImportFromPem(await File.ReadAllTextAsync(Path.Combine(fixture.Settings.KeyDirectory, "signing-key.pem")));
        return rsa;
    }

    private async Task<string> SignAsync(JsonObject header, JsonObject claims)
    {
        using var rsa = await SigningKeyAsync();
        return Sign(rsa, header, claims);
    }

    private static string Sign(RSA rsa, JsonObject header, JsonObject claims)
    {
        var input = $"{Encode(header)}.{Encode(claims)}";
        return $"{input}.{Base64Url(rsa.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))}";
    }

    private static JsonObject Decode(string segment)
    {
        var s = segment.Replace('-', '+').Replace('_', '/');
        return JsonNode.Parse(Convert.FromBase64String(s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '=')))!.AsObject();
    }

    private static string Encode(JsonObject json) => Base64Url(Encoding.UTF8.GetBytes(json.ToJsonString()));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
