using System.Security.Cryptography;
using Microsoft.Extensions.Logging;

namespace OrleansGate.Audit.Signing;

/// <summary>
/// The writer's private signing key, read from <see cref="AuditOptions.SigningKeyPath"/>. Rotation: replace the file;
/// the next signature is made with the new key (checked before each signature by the file's time and size), and every
/// signature names its key id, so a verifier trusting both public keys verifies the log across the change. A
/// replacement that cannot be read is refused loudly and the previous key stays in use. Not thread-safe: the
/// <see cref="AuditSigner"/> makes every signature of the process, one at a time.
/// </summary>
public sealed partial class AuditSigningKey : IDisposable
{
    private readonly string _path;
    private readonly ILogger _logger;
    private (ECDsa Key, string Id, DateTime Written, long Length) _current;

    private AuditSigningKey(string path, ILogger logger)
    {
        _path = path;
        _logger = logger;
        _current = Read();
    }

    /// <summary>Loads the key; a key that cannot be used stops the node at start with the reason.</summary>
    public static AuditSigningKey Load(string path, ILogger logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(logger);
        return new AuditSigningKey(path, logger);
    }

    public string KeyId => _current.Id;

    /// <summary>The public key, PEM (for the operator's trusted key set).</summary>
    public string PublicKeyPem => _current.Key.ExportSubjectPublicKeyInfoPem();

    /// <summary>Signs <paramref name="payload"/> with the current key; returns (key id, signature base64).</summary>
    public (string KeyId, string Signature) Sign(byte[] payload)
    {
        var current = _current;
        var signature = current.Key.SignData(payload, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return (current.Id, Convert.ToBase64String(signature));
    }

    /// <summary>Picks up a replaced key file; the signer calls it before it signs.</summary>
    public void Refresh()
    {
        FileInfo file;
        try
        {
            file = new FileInfo(_path);
            if (!file.Exists || (file.LastWriteTimeUtc == _current.Written && file.Length == _current.Length))
            {
                return;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }

        try
        {
            var next = Read();
            var previous = _current;
            if (next.Id == previous.Id)
            {
                next.Key.Dispose();
                _current = previous with { Written = next.Written, Length = next.Length };
                return;
            }

            _current = next;
            previous.Key.Dispose();
            LogRotated(_logger, previous.Id, next.Id);
        }
        catch (InvalidOperationException e)
        {
            // Remember the bad file so it is reported once, not before every signature.
            _current = _current with { Written = file.LastWriteTimeUtc, Length = file.Length };
            LogRotationRefused(_logger, _path, e.Message, _current.Id);
        }
    }

    public void Dispose() => _current.Key.Dispose();

    private (ECDsa Key, string Id, DateTime Written, long Length) Read()
    {
        var info = new FileInfo(_path);
        var key = AuditKeys.LoadPrivate(_path);
        return (key, AuditKeyId.Of(key), info.LastWriteTimeUtc, info.Length);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit signing key rotated: signatures from now on are made with key {NewKeyId} (was {OldKeyId}); verifiers need both public keys")]
    private static partial void LogRotated(ILogger logger, string oldKeyId, string newKeyId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Audit signing key file {Path} was replaced by one that cannot be used ({Error}); still signing with key {KeyId}")]
    private static partial void LogRotationRefused(ILogger logger, string path, string error, string keyId);
}
