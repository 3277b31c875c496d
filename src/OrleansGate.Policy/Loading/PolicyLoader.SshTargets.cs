using System.Buffers.Binary;
using OrleansGate.Policy.Model;
using YamlDotNet.RepresentationModel;

namespace OrleansGate.Policy.Loading;

public static partial class PolicyLoader
{
    private sealed partial class Reader
    {
        private const string SshTargetKeys = "kind, host, port, user, host_key, key_file, key_env";

        /// <summary>Key types a host key line may name (OpenSSH's, FIDO ones included).</summary>
        private static readonly HashSet<string> HostKeyTypes = new(StringComparer.Ordinal)
        {
            "ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
            "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com", "ssh-ed448",
        };

        /// <summary>A target of kind ssh: where it is, the host key it must show, and the gateway's private key, by reference.</summary>
        private SshTarget ReadSshTarget(string name, YamlNode nameNode, YamlMappingNode map)
        {
            string? host = null, user = null, fingerprint = null, keyFile = null, keyEnv = null;
            var port = 22;
            foreach (var (keyNode, value) in map.Children)
            {
                var key = Key(keyNode);
                switch (key)
                {
                    case "kind": break; // read by TargetKind
                    case "host": host = SshName(value, key, name); break;
                    case "port": port = Port(value, name); break;
                    case "user": user = SshName(value, key, name); break;
                    case "host_key": fingerprint = HostKey(value, name); break;
                    case "key_file": keyFile = Reference(value, key, name); break;
                    case "key_env": keyEnv = Reference(value, key, name); break;
                    case "key" or "private_key" or "password" or "passphrase" or "identity":
                        // The value is never echoed: the line is enough to find it.
                        throw Error(keyNode, $"target '{name}': inline credentials ('{key}') are not accepted in policy files; use key_file or key_env");
                    default:
                        throw Error(keyNode, $"unknown key '{key}' for a target of kind ssh (expected {SshTargetKeys})");
                }
            }

            if (host is null || user is null)
            {
                throw Error(map, $"target '{name}' needs a '{(host is null ? "host" : "user")}'");
            }

            if (fingerprint is null)
            {
                throw Error(map, $"target '{name}' needs a 'host_key' (its SHA256 fingerprint, as ssh-keygen -l -E sha256 -f key.pub prints it, or its public key line): host keys are pinned, never trusted on first use");
            }

            if ((keyFile is null) == (keyEnv is null))
            {
                throw Error(map, keyFile is null
                    ? $"target '{name}' needs the gateway's private key: give key_file or key_env"
                    : $"target '{name}' gives both key_file and key_env; give one");
            }

            return new SshTarget
            {
                Name = name,
                Host = host,
                Port = port,
                User = user,
                HostKeyFingerprint = fingerprint,
                KeyFile = keyFile,
                KeyEnvironmentVariable = keyEnv,
                Line = (int)nameNode.Start.Line,
            };
        }

        /// <summary>A host or user name: not empty, no blanks or control characters, not starting with '-' (read as an option by ssh tools).</summary>
        private string SshName(YamlNode node, string key, string target)
        {
            var text = Scalar(node, key);
            return text.Length > 0 && !text.StartsWith('-') && text.All(c => c > ' ' && c != '\u007f') && (key != "user" || !text.Contains('@', StringComparison.Ordinal))
                ? text
                : throw Error(node, $"target '{target}': {key} must be a name without blanks{(key == "user" ? " or '@'" : "")} that does not start with '-'");
        }

        /// <summary>
        /// <c>SHA256:&lt;43 base64 characters&gt;</c>, or a public key line (<c>ssh-ed25519 AAAA… [comment]</c>) whose
        /// fingerprint is computed here. MD5 fingerprints are refused: they no longer pin a key.
        /// </summary>
        private string HostKey(YamlNode node, string target)
        {
            var text = Scalar(node, "host_key").Trim();
            if (text.StartsWith("SHA256:", StringComparison.Ordinal))
            {
                var digest = text["SHA256:".Length..];
                return digest.Length == 43 && Convert.TryFromBase64String(digest + "=", new byte[32], out var written) && written == 32
                    ? text
                    : throw Error(node, $"target '{target}': host_key 'SHA256:…' must be 43 base64 characters without padding, as ssh-keygen -l -E sha256 prints it");
            }

            if (text.StartsWith("MD5:", StringComparison.Ordinal) || (text.Length == 47 && text[2] == ':'))
            {
                throw Error(node, $"target '{target}': host_key is an MD5 fingerprint; give the SHA256 one (ssh-keygen -l -E sha256 -f key.pub)");
            }

            var parts = text.Split([' ', '\t'], 3, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 2 || !HostKeyTypes.Contains(parts[0]))
            {
                throw Error(node, $"target '{target}': host_key must be a SHA256 fingerprint (SHA256:…) or a public key line (ssh-ed25519 AAAA…)");
            }

            byte[] blob;
            try
            {
                blob = Convert.FromBase64String(parts[1]);
            }
            catch (FormatException)
            {
                throw Error(node, $"target '{target}': the public key in host_key is not valid base64");
            }

            // The blob starts with its own key type (uint32 length, then the name): it must be the one the line names.
            if (blob.Length < 4 || BinaryPrimitives.ReadUInt32BigEndian(blob) is var length && (length > blob.Length - 4
                || System.Text.Encoding.ASCII.GetString(blob, 4, (int)length) != parts[0]))
            {
                throw Error(node, $"target '{target}': the public key in host_key is not a {parts[0]} key");
            }

            return SshTarget.FingerprintOf(blob);
        }
    }
}
