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
/// <remarks>
/// <c>orleansgate idp rotate-key</c> (<see cref="Rotate"/>) replaces the file while the IdP runs: the IdP notices the
/// new file on its next request, signs with the new key from then on, and keeps publishing the replaced key for
/// <see cref="DevIdpOptions.PreviousKeyGrace"/> so tokens already issued still validate.
/// </remarks>
internal sealed partial class DevIdpSigningKey : IDisposable
{
    internal const string FileName = "signing-key.pem";
    internal const string PreviousFileName = "previous-key.pem";
    private const int KeySizeBits = 2048;

    private readonly IOptionsMonitor<DevIdpOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<DevIdpSigningKey> _logger;
    private readonly Lock _sync = new();
    private DevIdpKeyMaterial? _current;
    private DevIdpKeyMaterial? _previous;
    private DateTimeOffset _previousUntil;

    public DevIdpSigningKey(IOptionsMonitor<DevIdpOptions> options, TimeProvider time, ILogger<DevIdpSigningKey> logger)
    {
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>The RFC 7638 JWK thumbprint of the public key, base64url.</summary>
    public string KeyId => Loaded().KeyId;

    /// <summary>The public modulus, base64url (JWK <c>n</c>).</summary>
    public string Modulus => Loaded().Modulus;

    /// <summary>The public exponent, base64url (JWK <c>e</c>).</summary>
    public string Exponent => Loaded().Exponent;

    /// <summary>The keys to publish in the JWKS: the signing key, then the replaced one while its grace period lasts.</summary>
    public IReadOnlyList<DevIdpKeyMaterial> PublishedKeys
    {
        get
        {
            lock (_sync)
            {
                var current = Loaded();
                return _previous is { } previous && _time.GetUtcNow() < _previousUntil ? [current, previous] : [current];
            }
        }
    }

    /// <summary>Loads the key, creating it first if the directory holds none; throws if that is impossible.</summary>
    public void EnsureLoaded() => Loaded();

    /// <summary>RSASSA-PKCS1-v1_5 with SHA-256 (JWS <c>RS256</c>).</summary>
    public byte[] SignRs256(ReadOnlySpan<byte> data)
    {
        // An RSA instance is not documented as safe for concurrent use; the lock also keeps a rotation from disposing it mid-use.
        lock (_sync)
        {
            return Loaded().Rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }
    }

    public void Dispose()
    {
        _current?.Rsa.Dispose();
        _previous?.Rsa.Dispose();
    }

    /// <summary>
    /// Replaces the signing key in <paramref name="directory"/> with a new one, keeping the replaced key as
    /// <see cref="PreviousFileName"/>; returns the new kid. A running IdP using the directory picks the new key up.
    /// </summary>
    internal static string Rotate(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"The development IdP has no signing key at {path} to rotate; start it once first.");
        }

        // Each file is written under a temporary name and renamed into place, so a running IdP never reads half a key.
        WriteAtomically(directory, Path.Combine(directory, PreviousFileName), File.ReadAllText(path), overwrite: true);
        using var rsa = RSA.Create(KeySizeBits);
        WriteAtomically(directory, path, rsa.ExportPkcs8PrivateKeyPem(), overwrite: true);
        var parameters = rsa.ExportParameters(includePrivateParameters: false);
        return ComputeKeyId(Base64Url.EncodeToString(parameters.Modulus), Base64Url.EncodeToString(parameters.Exponent));
    }

    /// <summary>RFC 7638: SHA-256 over the required members in lexicographic order, no whitespace.</summary>
    internal static string ComputeKeyId(string modulus, string exponent) =>
        Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes($$"""{"e":"{{exponent}}","kty":"RSA","n":"{{modulus}}"}""")));

    private DevIdpKeyMaterial Loaded()
    {
        lock (_sync)
        {
            var directory = _options.CurrentValue.KeyDirectory;
            if (string.IsNullOrWhiteSpace(directory))
            {
                throw new InvalidOperationException("OrleansGate:DevIdp:KeyDirectory is not set.");
            }

            directory = Path.GetFullPath(directory);
            var path = Path.Combine(directory, FileName);
            if (_current is null)
            {
                _current = Material(LoadOrCreate(directory), path);

                // Started after a rotation: tokens signed with the replaced key may still be in flight.
                var previousPath = Path.Combine(directory, PreviousFileName);
                if (File.Exists(previousPath))
                {
                    _previous = Material(Load(previousPath), previousPath);
                    _previousUntil = _time.GetUtcNow() + _options.CurrentValue.PreviousKeyGrace;
                }
            }
            else if (File.Exists(path) && File.GetLastWriteTimeUtc(path) != _current.FileTime)
            {
                // Rotated by `orleansgate idp rotate-key` (or replaced by hand) while running.
                var rotated = Material(Load(path), path);
                _previous?.Rsa.Dispose();
                _previous = _current;
                _previousUntil = _time.GetUtcNow() + _options.CurrentValue.PreviousKeyGrace;
                _current = rotated;
                LogKeyRotated(_logger, rotated.KeyId, _previous.KeyId, _previousUntil);
            }

            return _current;
        }
    }

    private static DevIdpKeyMaterial Material(RSA rsa, string path)
    {
        var parameters = rsa.ExportParameters(includePrivateParameters: false);
        var modulus = Base64Url.EncodeToString(parameters.Modulus);
        var exponent = Base64Url.EncodeToString(parameters.Exponent);
        return new DevIdpKeyMaterial(rsa, ComputeKeyId(modulus, exponent), modulus, exponent, File.GetLastWriteTimeUtc(path));
    }

    private static void WriteAtomically(string directory, string path, string pem, bool overwrite)
    {
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
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

            File.Move(temporary, path, overwrite);
        }
        finally
        {
            File.Delete(temporary);
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

        return Load(path);
    }

    private static RSA Load(string path)
    {
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

    [LoggerMessage(EventId = 2202, Level = LogLevel.Information, Message = "Development IdP: signing key rotated to kid {KeyId}; previous kid {PreviousKeyId} stays published until {Until}")]
    private static partial void LogKeyRotated(ILogger logger, string keyId, string previousKeyId, DateTimeOffset until);

    [LoggerMessage(EventId = 2201, Level = LogLevel.Warning, Message = "Development IdP: signing key {Path} is readable by other users; chmod 600 it")]
    private static partial void LogKeyFileReadable(ILogger logger, string path);
}
