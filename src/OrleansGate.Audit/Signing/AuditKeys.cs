using System.Security.Cryptography;

namespace OrleansGate.Audit.Signing;

/// <summary>Reads ECDSA P-256 keys from PEM files, with errors that name the file and never its content.</summary>
public static class AuditKeys
{
    private const string P256Oid = "1.2.840.10045.3.1.7";

    /// <summary>A private key (PKCS#8 <c>PRIVATE KEY</c> or SEC1 <c>EC PRIVATE KEY</c>) on curve P-256.</summary>
    public static ECDsa LoadPrivate(string path)
    {
        var key = Load(path);
        try
        {
            // Only a private key can sign; a public key file given as the signing key fails here, at start.
            key.ExportECPrivateKey();
        }
        catch (CryptographicException)
        {
            key.Dispose();
            throw new InvalidOperationException($"the audit signing key '{path}' holds no private key (give the private key; verifiers get the public one)");
        }

        return key;
    }

    /// <summary>Every public key in <paramref name="path"/> (a PEM file with one or more keys, or a directory of *.pem / *.pub files), by key id.</summary>
    public static Dictionary<string, ECDsa> LoadTrusted(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var files = Directory.Exists(path)
            ? Directory.EnumerateFiles(path).Where(f => f.EndsWith(".pem", StringComparison.Ordinal) || f.EndsWith(".pub", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList()
            : [path];
        var keys = new Dictionary<string, ECDsa>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            foreach (var key in LoadAll(file))
            {
                keys.TryAdd(AuditKeyId.Of(key), key);
            }
        }

        if (keys.Count == 0)
        {
            throw new InvalidOperationException($"no ECDSA P-256 public key found in '{path}'");
        }

        return keys;
    }

    private static ECDsa Load(string path)
    {
        var keys = LoadAll(path);
        if (keys.Count != 1)
        {
            foreach (var extra in keys)
            {
                extra.Dispose();
            }

            throw new InvalidOperationException($"the audit signing key '{path}' must hold exactly one key, found {keys.Count}");
        }

        return keys[0];
    }

    private static List<ECDsa> LoadAll(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"the audit key file '{path}' cannot be read: {e.Message}", e);
        }

        var keys = new List<ECDsa>();
        const string Begin = "-----BEGIN ";
        for (var at = text.IndexOf(Begin, StringComparison.Ordinal); at >= 0; at = text.IndexOf(Begin, at + Begin.Length, StringComparison.Ordinal))
        {
            var endMarker = text.IndexOf("-----END ", at, StringComparison.Ordinal);
            var close = endMarker < 0 ? -1 : text.IndexOf("-----", endMarker + 9, StringComparison.Ordinal);
            if (close < 0)
            {
                break;
            }

            var block = text[at..(close + 5)];
            if (block.Contains("CERTIFICATE", StringComparison.Ordinal) || block.Contains("EC PARAMETERS", StringComparison.Ordinal))
            {
                continue;
            }

            var key = ECDsa.Create();
            try
            {
                key.ImportFromPem(block);
            }
            catch (Exception e) when (e is CryptographicException or ArgumentException)
            {
                key.Dispose();
                throw new InvalidOperationException($"the audit key file '{path}' holds a PEM block that is not an EC key: {e.Message}", e);
            }

            if (key.ExportParameters(false).Curve.Oid?.Value != P256Oid)
            {
                key.Dispose();
                throw new InvalidOperationException($"the audit key file '{path}' holds a key that is not on curve P-256 (prime256v1)");
            }

            keys.Add(key);
        }

        if (keys.Count == 0)
        {
            throw new InvalidOperationException($"the audit key file '{path}' holds no PEM EC key");
        }

        return keys;
    }
}
