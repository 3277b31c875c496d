using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Runtime;
using OrleansGate.Audit;
using OrleansGate.Audit.Signing;

namespace OrleansGate.Grains.Audit;

/// <summary>
/// Seals the writers of silos that are gone. Every <see cref="AuditOptions.SealCheckInterval"/> a silo lists the writers
/// of its cluster that started and neither ended nor were sealed; a writer whose silo the cluster's membership declares
/// dead (a crash, a kill, a restart: the new generation declares the old one dead) is sealed with this silo's key.
/// </summary>
/// <remarks>
/// A writer is sealed only on the membership's word: one whose silo is merely not known (yet) is left alone unless its
/// start is older than <see cref="UnknownSiloAge"/>, since membership keeps dead silos that long and longer.
/// </remarks>
public sealed partial class AuditSealer(
    PostgresAuditSink sink,
    IClusterMembershipService membership,
    AuditWriterIdentity identity,
    IOptions<AuditOptions> options,
    TimeProvider time,
    ILogger<AuditSealer> logger) : BackgroundService
{
    internal static readonly TimeSpan UnknownSiloAge = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SealDeadAsync(stoppingToken);
                await Task.Delay(options.Value.SealCheckInterval, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException or IOException)
            {
                LogSealCheckFailed(logger, e.Message);
                await Task.Delay(options.Value.SealCheckInterval, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>One round: seals every open writer of this cluster whose silo is dead; returns how many it sealed.</summary>
    public async Task<int> SealDeadAsync(CancellationToken cancellationToken)
    {
        var snapshot = membership.CurrentSnapshot;
        var sealedCount = 0;
        foreach (var (writer, detail, startedAt) in await sink.OpenWritersAsync(cancellationToken))
        {
            if (sink.WriterIds.Contains(writer) || detail.Cluster is null || detail.Cluster != identity.Cluster || detail.Silo is null)
            {
                continue;
            }

            var member = snapshot.Members.Values.FirstOrDefault(m => m.SiloAddress.ToParsableString() == detail.Silo);
            var dead = member?.Status == SiloStatus.Dead || (member is null && time.GetUtcNow() - startedAt > UnknownSiloAge);
            if (!dead)
            {
                continue;
            }

            var reason = member is null
                ? $"its silo {detail.Silo} (node {detail.Node}) is not in the cluster's membership"
                : $"its silo {detail.Silo} (node {detail.Node}) is dead in the cluster's membership";
            if (await sink.SealAsync(writer, reason, cancellationToken) is not null)
            {
                sealedCount++;
            }
        }

        return sealedCount;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Looking for audit writers to seal failed: {Error}; tried again later")]
    private static partial void LogSealCheckFailed(ILogger logger, string error);
}
