using Microsoft.Extensions.DependencyInjection;
using OrleansGate.Grains;
using OrleansGate.Host.Commands;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.Model;

namespace OrleansGate.IntegrationTests.Policy;

/// <summary><c>policy apply</c> says which silos acknowledged the new version, and which did not.</summary>
[Collection(PolicyCollection.Name)]
public sealed class PolicyApplyAcknowledgementTests(PolicyFixture fixture)
{
    [Fact]
    public async Task Policy_apply_lists_both_silos_as_acknowledged_and_exits_0()
    {
        var file = GatewaySettings.WritePolicyFile(PolicyFixture.ReadAndSessionControlPolicy);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        try
        {
            var code = await CommandLine.RunAsync(["--config", fixture.Node.Settings.WriteConfigFile(), "policy", "apply", "--wait", "30", file], stdout, stderr, CancellationToken.None);

            Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
            var silos = await fixture.Node.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0).GetDetailedHosts(onlyActive: true);
            Assert.Equal(2, silos.Length);
            Assert.Contains("acknowledged by 2 silo(s): ", stdout.ToString(), StringComparison.Ordinal);
            foreach (var silo in silos)
            {
                Assert.Contains($"{silo.SiloName} ({silo.SiloAddress.ToParsableString()})", stdout.ToString(), StringComparison.Ordinal);
            }
        }
        finally
        {
            await fixture.ApplyAsync(PolicyFixture.ReadOnlyPolicy);
        }
    }

    [Fact]
    public async Task Silo_that_does_not_take_the_push_is_reported_as_not_acknowledged()
    {
        var grains = fixture.Node.Services.GetRequiredService<IGrainFactory>();
        var standIn = new FailingObserverStandIn();
        var reference = grains.CreateObjectReference<IPolicyObserver>(standIn);
        var before = (await fixture.PolicyGrain.GetCurrent())!.Version;
        const string Silo = "S127.0.0.1:1:1";
        await fixture.PolicyGrain.SubscribeSilo(reference, Silo, before);
        try
        {
            var applied = await fixture.ApplyAsync(PolicyFixture.OrdersWritePolicy);
            var reported = await fixture.PolicyGrain.GetSiloVersions();

            Assert.True(standIn.Pushes > 0);
            Assert.Contains(reported, r => r.Silo == Silo && r.Version == before);
            var (acknowledged, missing) = PolicyClusterCommand.Acknowledgements([(Silo, "lagging-standin")], reported, applied.Version);
            Assert.Empty(acknowledged);
            Assert.Equal([$"lagging-standin ({Silo})"], missing);
        }
        finally
        {
            grains.DeleteObjectReference<IPolicyObserver>(reference);
            await fixture.ApplyAsync(PolicyFixture.ReadOnlyPolicy);
        }
    }

    /// <summary>Stands in for a silo whose push fails (its process is gone); a real silo cannot be made to fail in-process.</summary>
    private sealed class FailingObserverStandIn : IPolicyObserver
    {
        private int _pushes;

        public int Pushes => Volatile.Read(ref _pushes);

        public Task PolicyChanged(PolicySnapshot snapshot)
        {
            Interlocked.Increment(ref _pushes);
            return Task.FromException(new InvalidOperationException("stand-in silo refuses the push"));
        }
    }
}
