using System.Security.Cryptography;

namespace OrleansGate.IntegrationTests.Fixtures;

/// <summary>
/// ECDSA P-256 audit signing keys for test nodes, as an operator makes them (PEM, private key 0600): one shared by the
/// nodes of a test run unless a test makes its own (rotation, forged writers).
/// </summary>
public static class TestAuditKeys
{
    private static readonly Lazy<(string Private, string Public)> Shared = new(() => Create("shared"));

    /// <summary>The private key file every test node signs with unless told otherwise.</summary>
    public static string SharedPrivate => Shared.Value.Private;

    /// <summary>Its public key file, what <c>audit verify</c> is given.</summary>
    public static string SharedPublic => Shared.Value.Public;

    /// <summary>A new key pair in a folder of its own: (private key file, public key file).</summary>
    public static (string Private, string Public) Create(string name)
    {
        var folder = Directory.CreateTempSubdirectory("orleansgate-audit-key-").FullName;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var privatePath = Path.Combine(folder, name + ".key");
        var publicPath = Path.Combine(folder, name + ".pub");
        File.WriteAllText(privatePath, key.ExportPkcs8PrivateKeyPem());
        if (OperatingSystem.IsLinux())
        {
            File.SetUnixFileMode(privatePath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        File.WriteAllText(publicPath, key.ExportSubjectPublicKeyInfoPem());
        return (privatePath, publicPath);
    }
}
