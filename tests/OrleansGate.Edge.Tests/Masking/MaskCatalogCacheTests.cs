using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using OrleansGate.Edge.Masking;
using OrleansGate.Edge.Postgres;
using OrleansGate.Edge.Targets;
using OrleansGate.Edge.Telemetry;
using static OrleansGate.Edge.Tests.Masking.TestMasks;

namespace OrleansGate.Edge.Tests.Masking;

public sealed class MaskCatalogCacheTests : IDisposable
{
    private const string PasswordVariable = "OG_TEST_MASK_CATALOG_PASSWORD";
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    [Fact]
    public async Task Unreachable_target_fails_closed_naming_the_target_and_not_the_password()
    {
        Environment.SetEnvironmentVariable(PasswordVariable, "hunter2-password");
        var target = new ResolvedTarget("orders-db", new TargetOptions
        {
            Port = ClosedPort(),
            Database = "shop",
            Username = "gate",
            PasswordEnvironmentVariable = PasswordVariable,
        });
        var cache = NewCache();

        var e = await Assert.ThrowsAsync<MaskCatalogUnavailableException>(
            async () => await cache.GetAsync(target, [Mask("m", "*.*.email")], 1, CancellationToken.None));

        Assert.Equal("orders-db", e.TargetName);
        Assert.Contains("'orders-db'", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", e.ToString(), StringComparison.Ordinal);

        // A failed load is not kept: the next statement tries again (and fails again, not from a cached task).
        var again = await Assert.ThrowsAsync<MaskCatalogUnavailableException>(
            async () => await cache.GetAsync(target, [Mask("m", "*.*.email")], 1, CancellationToken.None));
        Assert.NotSame(e, again);
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(PasswordVariable, null);
        _services.Dispose();
    }

    private MaskCatalogCache NewCache()
    {
        var telemetry = new EdgeTelemetry(_services.GetRequiredService<IMeterFactory>());
        var connector = new UpstreamConnector(telemetry, NullLogger<UpstreamConnector>.Instance);
        return new MaskCatalogCache(connector, TimeProvider.System, NullLogger<MaskCatalogCache>.Instance);
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
