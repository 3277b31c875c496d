using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OrleansGate.Host.DevIdp;

/// <summary>
/// The development IdP's RS256 signing key. It is kept as a PKCS#8 PEM file in <see cref="DevIdpOptions.KeyDirectory"/>
/// so that tokens and cached JWKS stay valid across restarts; its <c>kid</c> is the RFC 7638 thumbprint.
/// </summary>
internal sealed partial class DevIdpSigningKey : IDisposable
{
    internal const string FileName = "signing-key.pem";
    private const int KeySizeBits = 2048;

    private readonly IOptionsMonitor<DevIdpOptions> _options;
    private readonly ILogger<DevIdpSigningKey> _logger;
    private readonly Lock _sync = new();
    private RSA? _rsa;
    private string _keyId = "";
    private string _modulus = "";
    private string _exponent = "";

    public DevIdpSigningKey(IOptionsMonitor<DevIdpOptions> options, ILogger<DevIdpSigningKey> logger)
    {
        _options = options;
        _logger = logger;
    }

    /// <summary>The RFC 7638 JWK thumbprint of the public key, base64url.</summary>
    public string KeyId => Loaded()._keyId;

    /// <summary>The public modulus, base64url (JWK <c>n</c>).</summary>
    public string Modulus => Loaded()._modulus;

    /// <summary>The public exponent, base64url (JWK <c>e</c>).</summary>
    public string Exponent => Loaded()._exponent;

    /// <summary>Loads the key, creating it first if the directory holds none; throws if that is impossible.</summary>
    public void EnsureLoaded() => Loaded();

    /// <summary>RSASSA-PKCS1-v1_5 with SHA-256 (JWS <c>RS256</c>).</summary>
    public byte[] SignRs256(ReadOnlySpan<byte> data)
    {
        var rsa = Loaded()._rsa!;

        // An RSA instance is not documented as safe for concurrent use.
        lock (_sync)
        {
            return rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }
    }

    public void Dispose() => _rsa?.Dispose();

    /// <summary>RFC 7638: SHA-256 over the required members in lexicographic order, no whitespace.</summary>
    internal static string ComputeKeyId(string modulus, string exponent) =>
        Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes($$"""{"e":"{{exponent}}","kty":"RSA","n":"{{modulus}}"}""")));

    private DevIdpSigningKey Loaded()
    {
        lock (_sync)
        {
            if (_rsa is null)
            {
                var directory = _options.CurrentValue.KeyDirectory;
                if (string.IsNullOrWhiteSpace(directory))
                {
                    throw new InvalidOperationException("OrleansGate:DevIdp:KeyDirectory is not set.");
                }

                var rsa = LoadOrCreate(Path.GetFullPath(directory));
                var parameters = rsa.ExportParameters(includePrivateParameters: false);
                _modulus = Base64Url.EncodeToString(parameters.Modulus);
                _exponent = Base64Url.EncodeToString(parameters.Exponent);
                _keyId = ComputeKeyId(_modulus, _exponent);
                _rsa = rsa;
            }

            return this;
        }
    }

    private RSA LoadOrCreate(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            Create(directory, path);
        }
        else if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead)) != 0)
        {
            LogKeyFileReadable(_logger, path);
        }

        var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(File.ReadAllText(path));
        }
        catch (ArgumentException ex)
        {
            rsa.Dispose();
            throw new InvalidOperationException($"The development IdP signing key {path} is not a PEM-encoded RSA private key.", ex);
        }

        if (rsa.KeySize < KeySizeBits)
        {
            rsa.Dispose();
            throw new InvalidOperationException($"The development IdP signing key {path} has {rsa.KeySize} bits; at least {KeySizeBits} are required.");
        }

        return rsa;
    }

    private void Create(string directory, string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        using var rsa = RSA.Create(KeySizeBits);
        var pem = rsa.ExportPkcs8PrivateKeyPem();

        // Written under a temporary name and moved into place, so another process starting at the same moment
        // sees either no key or a complete one; whichever process moves first wins and the other uses its key.
        var temporary = Path.Combine(directory, $".{FileName}.{Guid.NewGuid():N}.tmp");
        var fileOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            using (var stream = new FileStream(temporary, fileOptions))
            {
                stream.Write(Encoding.ASCII.GetBytes(pem));
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: false);
            LogKeyCreated(_logger, path);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process created the key first.
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    [LoggerMessage(EventId = 2200, Level = LogLevel.Information, Message = "Development IdP: created signing key {Path}")]
    private static partial void LogKeyCreated(ILogger logger, string path);

    [LoggerMessage(EventId = 2201, Level = LogLevel.Warning, Message = "Development IdP: signing key {Path} is readable by other users; chmod 600 it")]
    private static partial void LogKeyFileReadable(ILogger logger, string path);
}
