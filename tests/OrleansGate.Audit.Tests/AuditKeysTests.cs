using System.Security.Cryptography;
using OrleansGate.Audit.Signing;

namespace OrleansGate.Audit.Tests;

public sealed class AuditKeysTests
{
    private static string Write(string text)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("orleansgate-keys-").FullName, "key.pem");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void A_PKCS8_or_SEC1_P256_private_key_loads_and_its_id_is_derived_from_its_public_half()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var pkcs8 = AuditKeys.LoadPrivate(Write(key.ExportPkcs8PrivateKeyPem()));
        using var sec1 = AuditKeys.LoadPrivate(Write(key.ExportECPrivateKeyPem()));
        var trusted = AuditKeys.LoadTrusted(Write(key.ExportSubjectPublicKeyInfoPem()));

        Assert.Equal(AuditKeyId.Of(key), AuditKeyId.Of(pkcs8));
        Assert.Equal(AuditKeyId.Of(key), AuditKeyId.Of(sec1));
        Assert.Equal(AuditKeyId.Of(key), Assert.Single(trusted).Key);
        Assert.Matches("^p256:[0-9a-f]{16}$", AuditKeyId.Of(key));
    }

    [Fact]
    public void A_public_key_a_P384_key_two_keys_or_no_key_are_refused_as_the_signing_key_with_the_file_named()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var cases = new[]
        {
            (Write(key.ExportSubjectPublicKeyInfoPem()), "holds no private key"),
            (Write(p384.ExportPkcs8PrivateKeyPem()), "not on curve P-256"),
            (Write(key.ExportPkcs8PrivateKeyPem() + "\n" + key.ExportPkcs8PrivateKeyPem()), "exactly one key, found 2"),
            (Write("not a key"), "holds no PEM EC key"),
            (Path.Combine(Path.GetTempPath(), "orleansgate-no-such-key.pem"), "cannot be read"),
        };

        foreach (var (path, message) in cases)
        {
            var e = Assert.Throws<InvalidOperationException>(() => AuditKeys.LoadPrivate(path).Dispose());
            Assert.Contains(path, e.Message, StringComparison.Ordinal);
            Assert.Contains(message, e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("BEGIN", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_folder_of_public_keys_is_trusted_whole_and_certificates_in_it_are_skipped()
    {
        using var a = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var b = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var folder = Directory.CreateTempSubdirectory("orleansgate-trusted-").FullName;
        File.WriteAllText(Path.Combine(folder, "a.pub"), a.ExportSubjectPublicKeyInfoPem());
        File.WriteAllText(Path.Combine(folder, "b.pem"), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n" + b.ExportSubjectPublicKeyInfoPem());
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "ignored");

        var trusted = AuditKeys.LoadTrusted(folder);

        Assert.Equal(new[] { AuditKeyId.Of(a), AuditKeyId.Of(b) }.Order(StringComparer.Ordinal), trusted.Keys.Order(StringComparer.Ordinal));
    }
}
