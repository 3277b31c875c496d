using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OrleansGate.KubernetesApiStandIn.Certificates;

/// <summary>
/// A throwaway CA made at start, the server certificate it signs for 127.0.0.1, and client certificates on
/// request. ECDSA P-256 keeps generation in the milliseconds. Validity uses the wall clock, not the stand-in's
/// TimeProvider: the peers checking these certificates (kubectl, HttpClient) read their own clocks.
/// </summary>
internal sealed class StandInCertificateAuthority : IDisposable
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromDays(2);

    /// <summary>Issued certificates end before the CA does, as a chain requires.</summary>
    private static readonly TimeSpan IssuedLifetime = TimeSpan.FromDays(1);

    private StandInCertificateAuthority(X509Certificate2 certificate) => Certificate = certificate;

    /// <summary>The CA with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    public string CertificatePem => Certificate.ExportCertificatePem();

    public static StandInCertificateAuthority Create()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=OrleansGate Kubernetes API stand-in CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        using var selfSigned = request.CreateSelfSigned(now.AddHours(-1), now.Add(Lifetime));
        return new StandInCertificateAuthority(WithUsableKey(selfSigned));
    }

    /// <summary>The serving certificate: 127.0.0.1, ::1 and localhost, plus the in-cluster names a kubeconfig might use.</summary>
    public X509Certificate2 IssueServerCertificate()
    {
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        foreach (var dns in new[] { "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc" })
        {
            names.AddDnsName(dns);
        }

        return Issue("CN=kube-apiserver-stand-in", names.Build(), "1.3.6.1.5.5.7.3.1");
    }

    /// <summary>A client certificate as the real server maps it: CN is the user, each O a group.</summary>
    public X509Certificate2 IssueClientCertificate(string user, IEnumerable<string> groups)
    {
        var subject = new X500DistinguishedNameBuilder();
        foreach (var group in groups)
        {
            subject.AddOrganizationName(group);
        }

        subject.AddCommonName(user);
        return Issue(subject.Build().Name, null, "1.3.6.1.5.5.7.3.2");
    }

    /// <summary>True when <paramref name="presented"/> was issued by this CA.</summary>
    public bool Issued(X509Certificate2 presented)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Certificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(presented);
    }

    public void Dispose() => Certificate.Dispose();

    private X509Certificate2 Issue(string subject, X509Extension? alternativeNames, string usageOid)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usageOid)], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        if (alternativeNames is not null)
        {
            request.CertificateExtensions.Add(alternativeNames);
        }

        var now = DateTimeOffset.UtcNow;
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var issued = request.Create(Certificate, now.AddHours(-1), now.Add(IssuedLifetime), serial);
        using var withKey = issued.CopyWithPrivateKey(key);
        return WithUsableKey(withKey);
    }

    /// <summary>A round trip through PKCS#12 gives a certificate that owns its key (not the disposed
    /// ECDsa it was made with), usable by every platform's TLS stack.</summary>
    private static X509Certificate2 WithUsableKey(X509Certificate2 certificate) =>
        X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
}
