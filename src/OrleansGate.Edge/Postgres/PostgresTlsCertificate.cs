using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OrleansGate.Edge.Postgres;

/// <summary>Loads the listener's certificate; the host calls it at start so a bad path fails there, not at the first client.</summary>
public static class PostgresTlsCertificate
{
    public static X509Certificate2? Load(PostgresTlsOptions tls)
    {
        if (!tls.IsConfigured)
        {
            return null;
        }

        try
        {
            var certificate = X509Certificate2.CreateFromPemFile(tls.CertificatePath!, tls.KeyPath);
            if (!certificate.HasPrivateKey)
            {
                throw new InvalidOperationException($"OrleansGate:Postgres:Tls: no private key for the certificate in \"{tls.CertificatePath}\"");
            }

            return certificate;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new InvalidOperationException($"OrleansGate:Postgres:Tls: cannot load certificate \"{tls.CertificatePath}\" with key \"{tls.KeyPath}\": {e.Message}", e);
        }
    }
}
