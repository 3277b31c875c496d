using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace OrleansGate.KubernetesApiStandIn.Tests;

/// <summary>What the gateway will see of the stand-in on the wire: status bodies, table shapes, recording.</summary>
public sealed class HttpTests : StandInTest
{
    private HttpClient Http(string? token)
    {
        var ca = StandIn.CaCertificate;
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, chain, _) =>
            {
                chain!.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(certificate!);
            },
        };
        var client = new HttpClient(handler) { BaseAddress = StandIn.Url };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    [Fact]
    public async Task Request_without_the_token_gets_401_Status_and_is_recorded()
    {
        StandIn.Create(StandInResources.Pods, StandInObjects.Pod("web-1"));
        using var http = Http(token: null);

        using var response = await http.GetAsync("/api/v1/namespaces/default/pods");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        using var status = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("Status", status.RootElement.GetProperty("kind").GetString());
        Assert.Equal("Unauthorized", status.RootElement.GetProperty("reason").GetString());
        Assert.Equal(401, status.RootElement.GetProperty("code").GetInt32());
        var recorded = Assert.Single(StandIn.Requests);
        Assert.Equal("/api/v1/namespaces/default/pods", recorded.PathAndQuery);
        Assert.Null(recorded.Header("Authorization"));
    }

    [Fact]
    public async Task Request_with_a_wrong_token_gets_401()
    {
        using var http = Http("agent-own-token");

        using var response = await http.GetAsync("/api");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Unknown_path_gets_404_Status()
    {
        using var http = Http(StandIn.BearerToken);

        using var response = await http.GetAsync("/apis/example.com/v1/widgets");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        using var status = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("NotFound", status.RootElement.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Secret_table_with_includeObject_carries_the_data_in_rows_object()
    {
        StandIn.Create(StandInResources.Secrets, StandInObjects.Secret("db", new Dictionary<string, string> { ["password"] = "hunter2" }));
        using var http = Http(StandIn.BearerToken);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/namespaces/default/secrets?includeObject=Object");
        request.Headers.TryAddWithoutValidation("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json");

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json;as=Table;v=v1;g=meta.k8s.io", response.Content.Headers.ContentType!.ToString().Replace(" ", ""));
        using var table = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var row = Assert.Single(table.RootElement.GetProperty("rows").EnumerateArray());
        Assert.Equal(["db", "Opaque", "1"], row.GetProperty("cells").EnumerateArray().Take(3).Select(c => c.ToString()));
        Assert.Equal("aHVudGVyMg==", row.GetProperty("object").GetProperty("data").GetProperty("password").GetString());
    }

    [Fact]
    public async Task Secret_created_with_stringData_is_stored_as_base64_data()
    {
        using var http = Http(StandIn.BearerToken);
        using var body = new StringContent("""{"metadata":{"name":"api"},"stringData":{"key":"s3cret"}}""");
        body.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        using var response = await http.PostAsync("/api/v1/namespaces/default/secrets", body);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var stored = StandIn.Get(StandInResources.Secrets, "default", "api")!;
        Assert.Equal("czNjcmV0", stored["data"]!["key"]!.GetValue<string>());
        Assert.Null(stored["stringData"]);
        Assert.Contains("stringData", StandIn.Requests.Single(r => r.Method == "POST").Body);
    }

    [Fact]
    public async Task Deletecollection_deletes_only_what_the_label_selector_matches()
    {
        var doomed = StandInObjects.ConfigMap("doomed", new Dictionary<string, string>());
        doomed["metadata"]!["labels"] = new JsonObject { ["tier"] = "cache" };
        StandIn.Create(StandInResources.ConfigMaps, doomed);
        StandIn.Create(StandInResources.ConfigMaps, StandInObjects.ConfigMap("kept", new Dictionary<string, string>()));
        using var http = Http(StandIn.BearerToken);

        using var response = await http.DeleteAsync("/api/v1/namespaces/default/configmaps?labelSelector=tier%3Dcache");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["kept"], StandIn.List(StandInResources.ConfigMaps, "default").Select(c => c["metadata"]!["name"]!.GetValue<string>()));
    }
}
