using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;

namespace OrleansGate.KubernetesApiStandIn.Tests;

public sealed class WatchTimeoutTests
{
    [Fact]
    public async Task Watch_ends_when_timeoutSeconds_pass_on_the_stand_in_clock()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var standIn = await KubernetesApiStandIn.StartAsync(new KubernetesApiStandInOptions { TimeProvider = clock });
        using var ca = standIn.CaCertificate;
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, chain, _) =>
            {
                chain!.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                return chain.Build(certificate!);
            },
        };
        using var http = new HttpClient(handler) { BaseAddress = standIn.Url };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", standIn.BearerToken);
        using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(15));

        using var response = await http.GetAsync(
            "/api/v1/namespaces/default/pods?watch=true&timeoutSeconds=30", HttpCompletionOption.ResponseHeadersRead, bounded.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var body = await response.Content.ReadAsStreamAsync(bounded.Token);
        var read = body.ReadAsync(new byte[1], bounded.Token).AsTask();
        clock.Advance(TimeSpan.FromSeconds(29));
        Assert.False(read.IsCompleted);

        clock.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal(0, await read);
    }
}
