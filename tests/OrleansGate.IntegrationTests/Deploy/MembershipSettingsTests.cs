using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using OrleansGate.Host.Hosting;

namespace OrleansGate.IntegrationTests.Deploy;

/// <summary>
/// OrleansGate:Cluster:MaxProbeTimeout reaches Orleans' membership (10 s unless set: a stopped silo is declared dead
/// after about 30 s instead of Orleans' 60 s), and a value Orleans' probing cannot use is refused at start.
/// </summary>
public sealed class MembershipSettingsTests
{
    private static Action<IConfigurationBuilder> Settings(string? maxProbeTimeout)
    {
        var settings = new Dictionary<string, string?>
        {
            ["OrleansGate:StateDatabase"] = "Host=127.0.0.1;Port=1;Database=unused;Username=unused;Password=unused",
            ["OrleansGate:Cluster:ClusterId"] = "membership-settings",
        };
        if (maxProbeTimeout is not null)
        {
            settings["OrleansGate:Cluster:MaxProbeTimeout"] = maxProbeTimeout;
        }

        return config => config.AddInMemoryCollection(settings);
    }

    [Fact]
    public async Task A_silo_probes_with_the_configured_max_probe_timeout_and_refuses_one_outside_its_bounds()
    {
        await using (var defaults = GatewayHost.Build(GatewayRole.Silo, [], Settings(null)))
        {
            Assert.Equal(TimeSpan.FromSeconds(10), defaults.Services.GetRequiredService<IOptions<ClusterMembershipOptions>>().Value.MaxProbeTimeout);
        }

        await using (var configured = GatewayHost.Build(GatewayRole.Silo, [], Settings("00:00:20")))
        {
            Assert.Equal(TimeSpan.FromSeconds(20), configured.Services.GetRequiredService<IOptions<ClusterMembershipOptions>>().Value.MaxProbeTimeout);
        }

        var e = Assert.Throws<InvalidOperationException>(() => GatewayHost.Build(GatewayRole.Silo, [], Settings("00:00:02")));
        Assert.Equal("OrleansGate:Cluster:MaxProbeTimeout 00:00:02 is outside 00:00:05 to 00:05:00 (Orleans probes every 5 s)", e.Message);
    }
}
