using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace OrleansGate.KubernetesApiStandIn.Tests;

public sealed class ClientCertificateTests
{
    private static HttpClient Http(KubernetesApiStandIn standIn, X509Certificate2 clientCertificate)
    {
        var ca = standIn.CaCertificate;
        var handler = new HttpClientHandler
        {
            ClientCertificateOptions = ClientCertificateOption.Manual,
            ServerCertificateCustomValidationCallback = (_, certificate, chain, _) =>
            {
                chain!.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                return chain.Build(certificate!);
            },
        };
        handler.ClientCertificates.Add(clientCertificate);
        return new HttpClient(handler) { BaseAddress = standIn.Url };
    }

    [Fact]
    public async Task Client_certificate_from_the_stand_in_CA_authenticates_when_accepted()
    {
        await using var standIn = await KubernetesApiStandIn.StartAsync(new KubernetesApiStandInOptions { AcceptClientCertificates = true });
        using var certificate = standIn.IssueClientCertificate("gateway", "system:masters");
        using var http = Http(standIn, certificate);

        using var response = await http.GetAsync("/api/v1/namespaces/default/pods");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var subject = Assert.Single(standIn.Requests).ClientCertificateSubject;
        Assert.Contains("CN=gateway", subject);
        Assert.Contains("O=system:masters", subject);
    }

    [Fact]
    public async Task Client_certificate_is_not_enough_unless_accepted()
    {
        await using var standIn = await KubernetesApiStandIn.StartAsync();
        using var certificate = standIn.IssueClientCertificate("gateway");
        using var http = Http(standIn, certificate);

        using var response = await http.GetAsync("/api/v1/namespaces/default/pods");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
