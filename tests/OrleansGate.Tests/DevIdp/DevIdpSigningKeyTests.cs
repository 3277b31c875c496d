using Microsoft.Extensions.Time.Testing;
using OrleansGate.Host.DevIdp;

namespace OrleansGate.Tests.DevIdp;

public sealed class DevIdpSigningKeyTests
{
    [Fact]
    public void Key_id_is_the_rfc7638_thumbprint()
    {
        // The example key and thumbprint of RFC 7638 §3.1.
        const string Modulus = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";

        Assert.Equal("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs", DevIdpSigningKey.ComputeKeyId(Modulus, "AQAB"));
    }

    [Fact]
    public async Task Missing_key_directory_is_created_with_an_owner_only_pem_key()
    {
        using var root = new TempDirectory();
        var directory = Path.Combine(root.Path, "nested", "keys");

        await using (await DevIdpServer.StartAsync(directory, new FakeTimeProvider()))
        {
        }

        var file = Path.Combine(directory, DevIdpSigningKey.FileName);
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", await File.ReadAllTextAsync(file), StringComparison.Ordinal);
        Assert.Single(Directory.GetFiles(directory));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            Assert.Equal(UnixFileMode.None, File.GetUnixFileMode(directory) & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite | UnixFileMode.OtherRead));
        }
    }

    [Fact]
    public async Task Unreadable_key_file_stops_startup_with_a_clear_error()
    {
        using var keys = new TempDirectory();
        await File.WriteAllTextAsync(Path.Combine(keys.Path, DevIdpSigningKey.FileName), "not a key");

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => DevIdpServer.StartAsync(keys.Path, new FakeTimeProvider()));

        Assert.Contains("is not a PEM-encoded RSA private key", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Key_shorter_than_2048_bits_is_refused()
    {
        using var keys = new TempDirectory();
        using (var weak = System.Security.Cryptography.RSA.Create(1024))
        {
            await File.WriteAllTextAsync(Path.Combine(keys.Path, DevIdpSigningKey.FileName), weak.ExportPkcs8PrivateKeyPem());
        }

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => DevIdpServer.StartAsync(keys.Path, new FakeTimeProvider()));

        Assert.Contains("1024 bits", ex.Message, StringComparison.Ordinal);
    }
}
