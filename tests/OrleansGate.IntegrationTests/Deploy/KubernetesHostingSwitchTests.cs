using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using OrleansGate.Host.Hosting;

namespace OrleansGate.IntegrationTests.Deploy;

/// <summary>
/// OrleansGate:Cluster:Kubernetes turns on Orleans' Kubernetes hosting for silos (what deploy/kubernetes sets), and a
/// pod that lacks what it reads is refused at start. No Kubernetes API runs here: only the wiring is checked.
/// </summary>
public sealed class KubernetesHostingSwitchTests
{
    private static Dictionary<string, string?> Settings() => new()
    {
        ["OrleansGate:StateDatabase"] = "Host=127.0.0.1;Port=1;Database=unused;Username=unused;Password=unused",
        ["OrleansGate:Cluster:ClusterId"] = "k8s-switch",
        ["OrleansGate:Cluster:ServiceId"] = "k8s-switch-service",
        ["OrleansGate:Cluster:Kubernetes"] = "true",
    };

    [Fact]
    public void A_silo_without_the_pods_variables_is_refused_naming_them()
    {
        Assert.All(GatewayClusterOptions.KubernetesEnvironment, name => Assert.Null(Environment.GetEnvironmentVariable(name)));
        var e = Assert.Throws<InvalidOperationException>(() => GatewayHost.Build(GatewayRole.Silo, [], config => config.AddInMemoryCollection(Settings())));
        Assert.Contains("POD_NAMESPACE", e.Message);
        Assert.Contains("ORLEANS_SERVICE_ID", e.Message);
    }

    [Fact]
    public async Task A_silo_in_a_pod_takes_its_name_from_the_pod_through_orleans_kubernetes_hosting()
    {
        var pod = new Dictionary<string, string>
        {
            ["POD_NAMESPACE"] = "gateway",
            ["POD_NAME"] = "orleansgate-silo-2",
            ["POD_IP"] = "10.1.2.3",
            ["ORLEANS_CLUSTER_ID"] = "k8s-switch",
            ["ORLEANS_SERVICE_ID"] = "k8s-switch-service",
        };

        // Process-wide, so set only for this build; nothing else in the test process reads these names.
        foreach (var (name, value) in pod)
        {
            Environment.SetEnvironmentVariable(name, value);
        }

        try
        {
            await using var app = GatewayHost.Build(GatewayRole.Silo, [], config => config.AddInMemoryCollection(Settings()));
            Assert.Equal("orleansgate-silo-2", app.Services.GetRequiredService<IOptions<SiloOptions>>().Value.SiloName);
            Assert.Equal("10.1.2.3", app.Services.GetRequiredService<IOptions<EndpointOptions>>().Value.AdvertisedIPAddress.ToString());
            Assert.Equal("k8s-switch", app.Services.GetRequiredService<IOptions<ClusterOptions>>().Value.ClusterId);

            Environment.SetEnvironmentVariable("POD_IP", "not-an-ip");
            Assert.Contains("POD_IP 'not-an-ip' is not an IP address", Assert.Throws<InvalidOperationException>(
                () => GatewayHost.Build(GatewayRole.Silo, [], config => config.AddInMemoryCollection(Settings()))).Message);
            Environment.SetEnvironmentVariable("POD_IP", pod["POD_IP"]);

            pod["ORLEANS_SERVICE_ID"] = "other";
            Environment.SetEnvironmentVariable("ORLEANS_SERVICE_ID", "other");
            var e = Assert.Throws<InvalidOperationException>(() => GatewayHost.Build(GatewayRole.Silo, [], config => config.AddInMemoryCollection(Settings())));
            Assert.Contains("differ from OrleansGate:Cluster:ClusterId/ServiceId", e.Message);
        }
        finally
        {
            foreach (var name in pod.Keys)
            {
                Environment.SetEnvironmentVariable(name, null);
            }
        }
    }
}
