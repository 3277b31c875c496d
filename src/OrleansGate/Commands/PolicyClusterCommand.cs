using OrleansGate.Grains;
using OrleansGate.Model;
using OrleansGate.Policy.Loading;

namespace OrleansGate.Host.Commands;

/// <summary>
/// <c>policy apply FILE</c> (validate locally, then store as the cluster's next version, pushed to every
/// silo and edge before this returns) and <c>policy show</c>.
/// </summary>
public static class PolicyClusterCommand
{
    public static async Task<int> ApplyAsync(string file, IConfiguration configuration, TextWriter stdout, TextWriter stderr, CancellationToken ct)
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
            var result = await grains.GetGrain<IPolicyGrain>(IPolicyGrain.Key).Apply(text, Path.GetFullPath(file));
            switch (result.Outcome)
            {
                case PolicyApplyOutcome.Applied:
                    await stdout.WriteLineAsync($"{file}: applied as version {result.Version} ({result.Label}); {result.SubscribersNotified} silos/edges updated"
                        + (result.SubscribersFailed > 0 ? $", {result.SubscribersFailed} unreachable (they catch up within their refresh interval)" : ""));
                    return 0;
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
