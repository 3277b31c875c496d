using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OrleansGate.Audit;
using OrleansGate.Grains.Audit;
using OrleansGate.Host.Hosting;

namespace OrleansGate.IntegrationTests.Audit;

/// <summary>The benchmark-only audit-off switch: refused unless the consent text is given exactly.</summary>
public sealed class AuditSwitchTests
{
    private static Microsoft.AspNetCore.Builder.WebApplication Build(string? disable) =>
        GatewayHost.Build(GatewayRole.Silo, [], config => config.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["OrleansGate:StateDatabase"] = "Host=127.0.0.1;Port=1;Database=unused;Username=unused;Password=unused",
            ["OrleansGate:Audit:DisableForBenchmark"] = disable,
            ["OrleansGate:Audit:SigningKeyPath"] = Fixtures.TestAuditKeys.SharedPrivate,
        }));

    [Fact]
    public void Audit_off_without_the_exact_consent_text_refuses_to_start()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Build("true"));
        Assert.Contains("refusing to start without audit", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audit_is_on_unless_switched_off_with_the_consent_text()
    {
        await using (var on = Build(null))
        {
            Assert.IsType<PostgresAuditSink>(on.Services.GetRequiredService<IAuditSink>());
        }

        await using var off = Build(AuditOptions.DisableForBenchmarkConsent);
        Assert.IsType<BenchmarkNoAuditSink>(off.Services.GetRequiredService<IAuditSink>());
    }
}
