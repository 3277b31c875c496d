using OrleansGate.Policy.Loading;
using OrleansGate.Policy.Model;

namespace OrleansGate.Policy.Tests.Shell;

public sealed class SshTargetLoaderTests
{
    private const string Fingerprint = "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s";

    /// <summary>An ed25519 public key blob (type name, then 32 key bytes) and its line.</summary>
    private static readonly byte[] Blob = [0, 0, 0, 11, .. "ssh-ed25519"u8, 0, 0, 0, 32, .. Enumerable.Range(1, 32).Select(i => (byte)i)];

    private static CompiledPolicy Load(string target) =>
        PolicyLoader.Load($"targets:\n  web1:\n    kind: ssh\n{target}rules: []\n", "p.yaml");

    private static string Error(string target) =>
        Assert.Throws<PolicyLoadException>(() => Load(target)).Message;

    [Fact]
    public void An_ssh_target_is_loaded_with_its_pinned_key_and_credential_reference()
    {
        var policy = Load($"    host: 127.0.0.1\n    port: 2222\n    user: deploy\n    host_key: \"{Fingerprint}\"\n    key_file: /etc/og/id_ed25519\n");

        var target = policy.SshTargets["web1"];
        Assert.Equal(("127.0.0.1", 2222, "deploy", Fingerprint), (target.Host, target.Port, target.User, target.HostKeyFingerprint));
        Assert.Equal(("/etc/og/id_ed25519", null), (target.KeyFile, target.KeyEnvironmentVariable));
        Assert.Equal("key_file /etc/og/id_ed25519", target.CredentialReference);
        Assert.Equal(2, target.Line);
        Assert.Empty(policy.Targets);
        Assert.Empty(policy.HttpTargets);
    }

    [Fact]
    public void The_port_defaults_to_22_and_key_env_is_a_reference()
    {
        var target = Load($"    host: h\n    user: u\n    host_key: \"{Fingerprint}\"\n    key_env: OG_SSH_KEY\n").SshTargets["web1"];

        Assert.Equal(22, target.Port);
        Assert.Equal("key_env OG_SSH_KEY", target.CredentialReference);
    }

    [Fact]
    public void A_public_key_line_is_pinned_by_its_sha256_fingerprint()
    {
        var line = "ssh-ed25519 " + Convert.ToBase64String(Blob) + " root@web1";

        var target = Load($"    host: h\n    user: u\n    host_key: \"{line}\"\n    key_env: K\n").SshTargets["web1"];

        Assert.Equal("SHA256:" + Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(Blob)).TrimEnd('='), target.HostKeyFingerprint);
        Assert.Equal(target.HostKeyFingerprint, SshTarget.FingerprintOf(Blob));
        Assert.Equal(50, target.HostKeyFingerprint.Length);
    }

    [Fact]
    public void Ssh_targets_stand_beside_postgres_and_http_targets()
    {
        var policy = PolicyLoader.Load(
            $"targets:\n  db: {{ host: h, database: d, username: u }}\n  api: {{ kind: http, url: \"https://a.example\" }}\n  web1: {{ kind: ssh, host: h, user: u, host_key: \"{Fingerprint}\", key_env: K }}\nrules: []\n",
            "p.yaml");

        Assert.Equal(["db"], policy.Targets.Keys);
        Assert.Equal(["api"], policy.HttpTargets.Keys);
        Assert.Equal(["web1"], policy.SshTargets.Keys);
        Assert.Empty(PolicyLoader.Load("rules: []\n", "p.yaml").SshTargets);
    }

    [Theory]
    [InlineData("    host: h\n    user: u\n    key_file: /k\n", "target 'web1' needs a 'host_key'")]
    [InlineData("    user: u\n    host_key: \"" + Fingerprint + "\"\n    key_file: /k\n", "target 'web1' needs a 'host'")]
    [InlineData("    host: h\n    host_key: \"" + Fingerprint + "\"\n    key_file: /k\n", "target 'web1' needs a 'user'")]
    [InlineData("    host: h\n    user: u\n    host_key: \"" + Fingerprint + "\"\n", "give key_file or key_env")]
    [InlineData("    host: h\n    user: u\n    host_key: \"" + Fingerprint + "\"\n    key_file: /k\n    key_env: K\n", "gives both key_file and key_env")]
    [InlineData("    host: h\n    user: u\n    host_key: \"" + Fingerprint + "\"\n    key_file: ''\n", "empty key_file")]
    [InlineData("    host: h\n    port: 0\n    user: u\n    host_key: \"" + Fingerprint + "\"\n    key_file: /k\n", "port must be a number from 1 to 65535, not '0'")]
    [InlineData("    host: h\n    port: ssh\n    user: u\n    host_key: \"" + Fingerprint + "\"\n    key_file: /k\n", "not 'ssh'")]
    [InlineData("    host: h\n    user: u\n    host_key: \"" + Fingerprint + "\"\n    key_file: /k\n    known_hosts: /x\n", "unknown key 'known_hosts' for a target of kind ssh (expected kind, host, port, user, host_key, key_file, key_env)")]
    [InlineData("    host: -oProxyCommand=x\n    user: u\n    host_key: \"" + Fingerprint + "\"\n    key_file: /k\n", "host must be a name without blanks")]
    [InlineData("    host: h\n    user: a@b\n    host_key: \"" + Fingerprint + "\"\n    key_file: /k\n", "user must be a name without blanks or '@'")]
    [InlineData("    host: h\n    user: u\n    host_key: \"SHA256:abc\"\n    key_file: /k\n", "must be 43 base64 characters")]
    [InlineData("    host: h\n    user: u\n    host_key: \"MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48\"\n    key_file: /k\n", "MD5 fingerprint")]
    [InlineData("    host: h\n    user: u\n    host_key: \"ssh-ed25519 !!!notbase64\"\n    key_file: /k\n", "not valid base64")]
    [InlineData("    host: h\n    user: u\n    host_key: \"ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g\"\n    key_file: /k\n", "is not a ssh-rsa key")]
    [InlineData("    host: h\n    user: u\n    host_key: \"trust-on-first-use\"\n    key_file: /k\n", "host_key must be a SHA256 fingerprint")]
    public void Ssh_target_errors_name_the_problem(string target, string expected) =>
        Assert.Contains(expected, Error(target), StringComparison.Ordinal);

    [Theory]
    [InlineData("key")]
    [InlineData("private_key")]
    [InlineData("password")]
    [InlineData("passphrase")]
    public void Inline_credentials_are_refused_without_echoing_them(string key)
    {
        var message = Error($"    host: h\n    user: u\n    host_key: \"{Fingerprint}\"\n    {key}: s3cr3t-value-never-shown\n");

        Assert.Contains("inline credentials", message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_kind_lists_ssh()
    {
        Assert.Contains("kind must be postgres, kubernetes, http or ssh, not 'sftp'", Assert.Throws<PolicyLoadException>(() =>
            PolicyLoader.Load("targets:\n  t: { kind: sftp }\nrules: []\n", "p.yaml")).Message, StringComparison.Ordinal);
    }
}
