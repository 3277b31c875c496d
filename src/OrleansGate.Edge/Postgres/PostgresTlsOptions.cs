namespace OrleansGate.Edge.Postgres;

/// <summary>TLS on the PostgreSQL listener (section <c>OrleansGate:Postgres:Tls</c>); PEM files.</summary>
public sealed class PostgresTlsOptions
{
    /// <summary>PEM certificate (chain) presented to clients.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>PEM private key of <see cref="CertificatePath"/>.</summary>
    public string? KeyPath { get; set; }

    public bool IsConfigured => !string.IsNullOrWhiteSpace(CertificatePath) && !string.IsNullOrWhiteSpace(KeyPath);
}
