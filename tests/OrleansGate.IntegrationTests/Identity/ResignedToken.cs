using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using OrleansGate.IntegrationTests.Fixtures;

namespace OrleansGate.IntegrationTests.Identity;

/// <summary>
/// A real token of the development IdP with its claims changed and re-signed with the IdP's own key, so a test
/// can log in as any subject (e.g. one whose agent grain lands on a chosen silo).
/// </summary>
public static class ResignedToken
{
    public static async Task<string> CreateAsync(GatewayNode issuer, Action<JsonObject> editClaims)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        ArgumentNullException.ThrowIfNull(editClaims);
        var parts = (await issuer.GetTokenAsync()).Split('.');
        var claims = Decode(parts[1]);
        editClaims(claims);

        using var rsa = RSA.Create();
        rsa.ImportFromPem(await File.ReadAllTextAsync(Path.Combine(issuer.Settings.KeyDirectory, "signing-key.pem")));
        var input = $"{parts[0]}.{Base64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()))}";
        return $"{input}.{Base64Url(rsa.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))}";
    }

    private static JsonObject Decode(string segment)
    {
        var s = segment.Replace('-', '+').Replace('_', '/');
        return JsonNode.Parse(Convert.FromBase64String(s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '=')))!.AsObject();
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
