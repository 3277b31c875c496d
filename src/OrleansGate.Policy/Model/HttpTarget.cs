namespace OrleansGate.Policy.Model;

/// <summary>
/// An upstream HTTP API named in a policy file's <c>targets:</c> with <c>kind: kubernetes</c> or <c>kind: http</c>.
/// Like <see cref="PolicyTarget"/>, it holds credentials by reference only (an environment variable's name or a file
/// path), read by the gateway when it dials; a policy never holds a token or a key.
/// </summary>
public sealed record HttpTarget
{
    public required string Name { get; init; }

    public required HttpTargetKind Kind { get; init; }

    /// <summary>Absolute <c>https</c> URL (or <c>http</c> with <see cref="InsecureHttp"/>), without credentials, query or fragment.</summary>
    public required Uri Url { get; init; }

    /// <summary>Path of a PEM file with the CA certificates to trust for this target (<c>ca_file</c>); null with <see cref="CaEnvironmentVariable"/> or system trust.</summary>
    public string? CaFile { get; init; }

    /// <summary>Name of an environment variable holding PEM CA certificates (<c>ca_env</c>).</summary>
    public string? CaEnvironmentVariable { get; init; }

    /// <summary>Path of a file whose content is the bearer token (<c>token_file</c>, e.g. a projected service-account token).</summary>
    public string? TokenFile { get; init; }

    /// <summary>Name of an environment variable holding the bearer token (<c>token_env</c>).</summary>
    public string? TokenEnvironmentVariable { get; init; }

    /// <summary>Path of the client certificate (PEM) for client-certificate authentication; always with <see cref="ClientKeyFile"/>.</summary>
    public string? ClientCertificateFile { get; init; }

    /// <summary>Path of the client certificate's private key (PEM); always with <see cref="ClientCertificateFile"/>.</summary>
    public string? ClientKeyFile { get; init; }

    /// <summary>Accept any server certificate (<c>insecure_skip_tls_verify: true</c>); listed in <see cref="Warnings"/>.</summary>
    public bool InsecureSkipTlsVerify { get; init; }

    /// <summary>The URL is plain <c>http</c>, accepted with <c>insecure_http: true</c>; listed in <see cref="Warnings"/>.</summary>
    public bool InsecureHttp { get; init; }

    /// <summary>Line of the target in its file, for messages.</summary>
    public int Line { get; init; }

    /// <summary>How the credential is found, for listings: never a value (a policy holds none).</summary>
    public string CredentialReference =>
        TokenEnvironmentVariable is not null ? $"token_env {TokenEnvironmentVariable}"
        : TokenFile is not null ? $"token_file {TokenFile}"
        : ClientCertificateFile is not null ? $"client_certificate_file {ClientCertificateFile}, client_key_file {ClientKeyFile}"
        : "no credential";

    /// <summary>What <c>policy check</c> should print as warnings for this target: settings that give up transport security.</summary>
    public IReadOnlyList<string> Warnings =>
        (InsecureSkipTlsVerify, InsecureHttp) switch
        {
            (true, _) => [$"target '{Name}' does not verify the server's certificate (insecure_skip_tls_verify): anyone on the path can pose as it and read {CredentialPhrase}"],
            (_, true) => [$"target '{Name}' uses plain http (insecure_http): anyone on the path can read and change its traffic{(HasCredential ? ", and its credential" : "")}"],
            _ => [],
        };

    private bool HasCredential => TokenEnvironmentVariable is not null || TokenFile is not null || ClientCertificateFile is not null;

    private string CredentialPhrase => HasCredential ? "the gateway's credential and every answer" : "every answer";
}
