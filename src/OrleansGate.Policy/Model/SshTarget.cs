using System.Security.Cryptography;

namespace OrleansGate.Policy.Model;

/// <summary>
/// A host reached over SSH, named in a policy file's <c>targets:</c> with <c>kind: ssh</c>. Its host key is pinned
/// (no trust on first use: a host presenting another key is refused), and the gateway's private key is held by
/// reference only (a file path or an environment variable's name), read by the gateway when it dials.
/// </summary>
public sealed record SshTarget
{
    public required string Name { get; init; }

    public required string Host { get; init; }

    public int Port { get; init; } = 22;

    /// <summary>The account the gateway logs in as.</summary>
    public required string User { get; init; }

    /// <summary>"SHA256:&lt;base64 without padding&gt;", exactly as <c>ssh-keygen -l -E sha256 -f key.pub</c> prints it.</summary>
    public required string HostKeyFingerprint { get; init; }

    /// <summary>Path of the gateway's OpenSSH private key (<c>key_file</c>).</summary>
    public string? KeyFile { get; init; }

    /// <summary>Name of an environment variable holding the private key's text (<c>key_env</c>).</summary>
    public string? KeyEnvironmentVariable { get; init; }

    /// <summary>Line of the target in its file, for messages.</summary>
    public int Line { get; init; }

    /// <summary>How the private key is found, for listings: never a value (a policy holds none).</summary>
    public string CredentialReference =>
        KeyEnvironmentVariable is not null ? $"key_env {KeyEnvironmentVariable}"
        : KeyFile is not null ? $"key_file {KeyFile}"
        : "no key";

    /// <summary>
    /// The fingerprint of a host key as OpenSSH prints it: <c>SHA256:</c> and the base64 of the SHA-256 of the key's
    /// wire-format blob, without '=' padding. Compare it with <see cref="HostKeyFingerprint"/> ordinally.
    /// </summary>
    public static string FingerprintOf(ReadOnlySpan<byte> hostKeyBlob) =>
        "SHA256:" + Convert.ToBase64String(SHA256.HashData(hostKeyBlob)).TrimEnd('=');
}
