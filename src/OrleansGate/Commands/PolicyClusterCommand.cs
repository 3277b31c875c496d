using OrleansGate.Grains;
using OrleansGate.Model;
using OrleansGate.Policy.Loading;

namespace OrleansGate.Host.Commands;

/// <summary>
/// <c>policy apply [--wait SECONDS] FILE</c> (validate locally, then store as the cluster's next version, pushed to
/// every silo and edge; then wait, bounded, until every active silo acknowledged it, exit 4 if one did not) and <c>policy show</c>.
/// </summary>
public static class PolicyClusterCommand
{
    /// <summary>Exit code when the version is stored but not every active silo acknowledged it in time.</summary>
    public const int NotAcknowledged = 4;

    /// <summary>Long enough for a silo whose push failed to catch up at its next check (Policy:RefreshInterval, 10 s by default).</summary>
    public static readonly TimeSpan DefaultAcknowledgementWait = TimeSpan.FromSeconds(25);

    private static readonly TimeSpan AcknowledgementPoll = TimeSpan.FromMilliseconds(250);

    public static async Task<int> ApplyAsync(string file, IConfiguration configuration, TextWriter stdout, TextWriter stderr, CancellationToken ct, TimeSpan? wait = null)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        string text;
        try
        {
            text = await File.ReadAllTextAsync(file, ct);

            // Checked here first so an invalid file never needs a cluster to be reported; the grain checks again.
            PolicyLoader.Load(text, file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await stderr.WriteLineAsync($"{file}: cannot read the file: {e.Message}");
            return 1;
        }
        catch (PolicyLoadException e)
        {
            await stderr.WriteLineAsync(e.Message);
            return 1;
        }

        using var host = await ClusterClientHost.StartAsync(configuration, ct);
        try
        {
            var grains = host.Services.GetRequiredService<IClusterClient>();
            var policy = grains.GetGrain<IPolicyGrain>(IPolicyGrain.Key);
            var result = await policy.Apply(text, Path.GetFullPath(file));
            switch (result.Outcome)
            {
                case PolicyApplyOutcome.Applied:
                {
                    await stdout.WriteLineAsync($"{file}: applied as version {result.Version} ({result.Label}); {result.SubscribersNotified} silos/edges updated"
                        + (result.SubscribersFailed > 0 ? $", {result.SubscribersFailed} did not take the push" : ""));
                    var wanted = wait ?? DefaultAcknowledgementWait;
                    var (acknowledged, missing) = await WaitForSilosAsync(grains, policy, result.Version, wanted, ct);
                    await stdout.WriteLineAsync($"acknowledged by {acknowledged.Count} silo(s): {(acknowledged.Count == 0 ? "none" : string.Join(", ", acknowledged))}");
                    if (missing.Count == 0)
                    {
                        return 0;
                    }

                    await stderr.WriteLineAsync(
                        $"{file}: version {result.Version} is stored, but {missing.Count} active silo(s) did not acknowledge it within {wanted.TotalSeconds:0} s: {string.Join(", ", missing)}. "
                        + "They still decide with an older version; each picks the new one up at its next policy check (Policy:RefreshInterval), "
                        + "and refuses statements once its copy is older than Policy:MaxStaleness. Run 'policy show' or apply again to check.");
                    return NotAcknowledged;
                }

                case PolicyApplyOutcome.Unchanged:
                    await stdout.WriteLineAsync($"{file}: unchanged, already version {result.Version} ({result.Label})");
                    return 0;
                case PolicyApplyOutcome.Unavailable:
                    // Fail closed: the change could not be audited (or stored), so it is not in force anywhere.
                    await stderr.WriteLineAsync(result.Error);
                    return 3;
                default:
                    await stderr.WriteLineAsync(result.Error);
                    return 1;
            }
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>Polls until every active silo reports <paramref name="version"/> (or newer), or the wait ends.</summary>
    private static async Task<(List<string> Acknowledged, List<string> Missing)> WaitForSilosAsync(
        IClusterClient grains, IPolicyGrain policy, long version, TimeSpan wait, CancellationToken ct)
    {
        var management = grains.GetGrain<IManagementGrain>(0);
        var deadline = DateTimeOffset.UtcNow + wait;
        while (true)
        {
            var active = (await management.GetDetailedHosts(onlyActive: true)).Select(h => (h.SiloAddress.ToParsableString(), h.SiloName));
            var split = Acknowledgements(active, await policy.GetSiloVersions(), version);
            if (split.Missing.Count == 0 || DateTimeOffset.UtcNow >= deadline)
            {
                return split;
            }

            await Task.Delay(AcknowledgementPoll, ct);
        }
    }

    /// <summary>Active silos (address, name) split by whether they reported <paramref name="version"/> or newer; named "name (address)".</summary>
    public static (List<string> Acknowledged, List<string> Missing) Acknowledgements(
        IEnumerable<(string Address, string Name)> active, IReadOnlyList<SiloPolicyVersion> reported, long version)
    {
        ArgumentNullException.ThrowIfNull(active);
        ArgumentNullException.ThrowIfNull(reported);
        var versions = reported.ToDictionary(r => r.Silo, r => r.Version, StringComparer.Ordinal);
        var acknowledged = new List<string>();
        var missing = new List<string>();
        foreach (var (address, name) in active.OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            (versions.TryGetValue(address, out var v) && v >= version ? acknowledged : missing).Add($"{name} ({address})");
        }

        return (acknowledged, missing);
    }

    public static async Task<int> ShowAsync(IConfiguration configuration, TextWriter stdout, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        using var host = await ClusterClientHost.StartAsync(configuration, ct);
        try
        {
            var current = await host.Services.GetRequiredService<IClusterClient>().GetGrain<IPolicyGrain>(IPolicyGrain.Key).GetCurrent();
            await stdout.WriteLineAsync(current is null
                ? "no policy applied: statements are refused until one is (policy apply FILE, or OrleansGate:Policy:File)"
                : $"version {current.Version} ({current.Label}) from {current.Source}, applied {current.AppliedAt:O}, sha256 {current.Sha256[..12]}");
            return 0;
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }
}
