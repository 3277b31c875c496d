using System.Security.Cryptography;

namespace OrleansGate.Audit.Signing;

/// <summary>A key's id: derived from its public key alone, so a verifier holding only public keys computes the same id.</summary>
public static class AuditKeyId
{
    public static string Of(ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var spki = key.ExportSubjectPublicKeyInfo();
        return "p256:" + Convert.ToHexStringLower(SHA256.HashData(spki))[..16];
    }
}
