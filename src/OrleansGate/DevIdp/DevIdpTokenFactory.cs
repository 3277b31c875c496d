using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;

namespace OrleansGate.Host.DevIdp;

/// <summary>Mints access tokens shaped like an Okta custom authorization server's tokens for a service app.</summary>
internal sealed class DevIdpTokenFactory
{
    internal const string Scope = "gateway";

    /// <summary>Claims every token carries; a client's custom claims may not replace them.</summary>
    internal static readonly IReadOnlySet<string> StandardClaims = new HashSet<string>(StringComparer.Ordinal) { "ver", "jti", "iss", "aud", "iat", "exp", "nbf", "cid", "scp", "sub", "groups" };

    private readonly DevIdpSigningKey _key;
    private readonly TimeProvider _time;

    public DevIdpTokenFactory(DevIdpSigningKey key, TimeProvider time)
    {
        _key = key;
        _time = time;
    }

    /// <summary>Signs a token for <paramref name="client"/>: RS256, <c>exp = iat + lifetime</c>, no <c>nbf</c> (as Okta).</summary>
    public (string Token, string TokenId, DateTimeOffset Expires) Issue(DevIdpOptions options, DevIdpClient client)
    {
        var issuedAt = _time.GetUtcNow().ToUnixTimeSeconds();
        var expires = issuedAt + (long)options.TokenLifetime.TotalSeconds;
        var tokenId = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));

        var header = Json(writer =>
        {
            writer.WriteString("alg", "RS256");
            writer.WriteString("kid", _key.KeyId);
            writer.WriteString("typ", "JWT");
        });
        var payload = Json(writer =>
        {
            writer.WriteNumber("ver", 1);
            writer.WriteString("jti", tokenId);
            writer.WriteString("iss", options.Issuer);
            writer.WriteString("aud", options.Audience);
            writer.WriteNumber("iat", issuedAt);
            writer.WriteNumber("exp", expires);
            writer.WriteString("cid", client.ClientId);
            writer.WriteStartArray("scp");
            writer.WriteStringValue(Scope);
            writer.WriteEndArray();
            writer.WriteString("sub", client.ClientId);
            writer.WriteStartArray("groups");
            foreach (var group in client.Groups)
            {
                writer.WriteStringValue(group);
            }

            writer.WriteEndArray();
            foreach (var (name, value) in client.Claims)
            {
                writer.WriteString(name, value);
            }
        });

        var signingInput = $"{Base64Url.EncodeToString(header)}.{Base64Url.EncodeToString(payload)}";
        var signature = _key.SignRs256(System.Text.Encoding.ASCII.GetBytes(signingInput));
        return ($"{signingInput}.{Base64Url.EncodeToString(signature)}", tokenId, DateTimeOffset.FromUnixTimeSeconds(expires));
    }

    private static byte[] Json(Action<Utf8JsonWriter> writeMembers)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writeMembers(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
