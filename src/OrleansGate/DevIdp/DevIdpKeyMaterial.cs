using System.Security.Cryptography;

namespace OrleansGate.Host.DevIdp;

/// <summary>One loaded development IdP key: the RSA key, its JWK public parts, and the file time it was read at.</summary>
/// <param name="FileTime">The key file's last write time when loaded; a different one means the file was rotated.</param>
internal sealed record DevIdpKeyMaterial(RSA Rsa, string KeyId, string Modulus, string Exponent, DateTime FileTime);
