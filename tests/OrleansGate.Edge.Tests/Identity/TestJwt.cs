using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace OrleansGate.Edge.Tests.Identity;

/// <summary>Builds compact JWS tokens by hand, so tests can craft headers and signatures no library would produce.</summary>
internal static class TestJwt
{
    public static string Create(JsonObject header, JsonObject claims, Func<byte[], byte[]>? sign) =>
        CreateRaw(header.ToJsonString(), claims.ToJsonString(), sign);

    public static string CreateRaw(string headerJson, string claimsJson, Func<byte[], byte[]>? sign)
    {
        var signingInput = Encode(headerJson) + "." + Encode(claimsJson);
        var signature = sign is null ? "" : Base64Url.EncodeToString(sign(Encoding.ASCII.GetBytes(signingInput)));
        return signingInput + "." + signature;
    }

    public static string Encode(string json) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json));

    public static Func<byte[], byte[]> Rs256(RSA key) => data => key.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);

    public static Func<byte[], byte[]> Ps256(RSA key) => data => key.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pss);

    // .NET signs ECDSA in the IEEE P1363 (r||s) form that JWS requires.
    public static Func<byte[], byte[]> Es256(ECDsa key) => data => key.SignData(data, HashAlgorithmName.SHA256);

    public static Func<byte[], byte[]> Hs256(byte[] secret) => data => HMACSHA256.HashData(secret, data);

    /// <summary>Replaces the payload segment, keeping the original header and signature.</summary>
    public static string ReplacePayload(string token, string claimsJson)
    {
        var parts = token.Split('.');
        return $"{parts[0]}.{Encode(claimsJson)}.{parts[2]}";
    }
}
