using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;

namespace OrleansGate.Host.DevIdp;

/// <summary>Mints tokens shaped like an Okta custom authorization server's: access tokens for service apps and users, ID tokens for users.</summary>
internal sealed class DevIdpTokenFactory
{
    internal const string Scope = "gateway";

    /// <summary>Claims every token carries; a client's or user's custom claims may not replace them.</summary>
    internal static readonly IReadOnlySet<string> StandardClaims = new HashSet<string>(StringComparer.Ordinal) { "ver", "jti", "iss", "aud", "iat", "exp", "nbf", "cid", "scp", "sub", "groups" };

    private readonly DevIdpSigningKey _key;
    private readonly TimeProvider _time;

    public DevIdpTokenFactory(DevIdpSigningKey key, TimeProvider time)
    {
        _key = key;
        _time = time;
    }

    /// <summary>Signs a token for <paramref name="client"/>: RS256, <c>exp = iat + lifetime</c>, no <c>nbf</c> (as Okta).</summary>
    public (string Token, string TokenId, DateTimeOffset Expires) Issue(DevIdpOptions options, DevIdpClient client) =>
        IssueAccessToken(options, client.ClientId, client.ClientId, [Scope], client.Groups, client.Claims);

    /// <summary>
    /// Signs an access token for a signed-in <paramref name="user"/>, shaped as a client's: <c>sub</c> is the username,
    /// <c>cid</c> the public client it was issued through, <c>scp</c> the granted scopes.
    /// </summary>
    public (string Token, string TokenId, DateTimeOffset Expires) IssueForUser(DevIdpOptions options, DevIdpUser user, string clientId, IReadOnlyList<string> scopes) =>
        IssueAccessToken(options, user.Username, clientId, scopes, user.Groups, user.Claims);

    /// <summary>
    /// Signs an OpenID Connect ID token for <paramref name="user"/> (OIDC Core §2): <c>aud</c> is the client, with the
    /// request's <c>nonce</c> when it had one, and the user's groups for the client to show or check.
    /// </summary>
    public string IssueIdToken(DevIdpOptions options, DevIdpUser user, string clientId, string nonce, DateTimeOffset authenticatedAt)
    {
        var (issuedAt, expires) = Lifetime(options);
        return Sign(writer =>
        {
            WriteRegistered(writer, options, clientId, Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16)), issuedAt, expires);
            writer.WriteString("sub", user.Username);
            writer.WriteString("preferred_username", user.Username);
            writer.WriteNumber("auth_time", authenticatedAt.ToUnixTimeSeconds());
            writer.WriteStartArray("amr");
            writer.WriteStringValue("pwd");
            writer.WriteEndArray();
            if (nonce.Length > 0)
            {
                writer.WriteString("nonce", nonce);
            }

            WriteStrings(writer, "groups", user.Groups);
        });
    }

    private (string Token, string TokenId, DateTimeOffset Expires) IssueAccessToken(
        DevIdpOptions options, string subject, string clientId, IReadOnlyList<string> scopes, List<string> groups, Dictionary<string, string> claims)
    {
        var (issuedAt, expires) = Lifetime(options);
        var tokenId = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));
        var token = Sign(writer =>
        {
            WriteRegistered(writer, options, options.Audience, tokenId, issuedAt, expires);
            writer.WriteString("cid", clientId);
            WriteStrings(writer, "scp", scopes);
            writer.WriteString("sub", subject);
            WriteStrings(writer, "groups", groups);
            foreach (var (name, value) in claims)
            {
                writer.WriteString(name, value);
            }
        });
        return (token, tokenId, DateTimeOffset.FromUnixTimeSeconds(expires));
    }

    private (long IssuedAt, long Expires) Lifetime(DevIdpOptions options)
    {
        var issuedAt = _time.GetUtcNow().ToUnixTimeSeconds();
        return (issuedAt, issuedAt + (long)options.TokenLifetime.TotalSeconds);
    }

    private static void WriteRegistered(Utf8JsonWriter writer, DevIdpOptions options, string audience, string tokenId, long issuedAt, long expires)
    {
        writer.WriteNumber("ver", 1);
        writer.WriteString("jti", tokenId);
        writer.WriteString("iss", options.Issuer);
        writer.WriteString("aud", audience);
        writer.WriteNumber("iat", issuedAt);
        writer.WriteNumber("exp", expires);
    }

    private static void WriteStrings(Utf8JsonWriter writer, string name, IEnumerable<string> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }

    private string Sign(Action<Utf8JsonWriter> writeClaims)
    {
        var header = Json(writer =>
        {
            writer.WriteString("alg", "RS256");
            writer.WriteString("kid", _key.KeyId);
            writer.WriteString("typ", "JWT");
        });
        var signingInput = $"{Base64Url.EncodeToString(header)}.{Base64Url.EncodeToString(Json(writeClaims))}";
        var signature = _key.SignRs256(System.Text.Encoding.ASCII.GetBytes(signingInput));
        return $"{signingInput}.{Base64Url.EncodeToString(signature)}";
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
