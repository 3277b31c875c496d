using System.Collections.Concurrent;
using System.Net;

namespace OrleansGate.Host.Cluster;

/// <summary>
/// An edge-only node's check of the silos it sends calls through: each gateway's <c>/healthz</c> (published by
/// <see cref="SiloHealthUrlPublisher"/>) is asked every <see cref="Interval"/>; one that has not answered
/// <see cref="FailuresToMarkUnresponsive"/> times in a row is left out of the gateway list by
/// <see cref="ProbedGatewayListProvider"/> until it answers again.
/// </summary>
/// <remarks>
/// Why: a stopped silo (SIGSTOP, a frozen VM) keeps its TCP connections open, so the Orleans client never sees them
/// fail; it goes on sending the calls of every grain it routed through that gateway, each answered only by its 30 s
/// response timeout, until the silo is declared dead and the gateway list read again (about 40 s). With the probe,
/// calls go through the other gateways after about <c>Interval + FailuresToMarkUnresponsive × timeout</c>.
/// A gateway without a published URL is never left out.
/// </remarks>
public sealed partial class GatewayHealthProbe(
    Func<CancellationToken, Task<IReadOnlyDictionary<IPEndPoint, Uri>>> loadTargets,
    HttpMessageInvoker http,
    TimeSpan timeout,
    TimeProvider time,
    ILogger<GatewayHealthProbe> logger) : BackgroundService
{
    /// <summary>How often every gateway is asked.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>How often the gateways' URLs are read again from the membership table.</summary>
    public static readonly TimeSpan TargetsFor = TimeSpan.FromSeconds(10);

    /// <summary>Unanswered probes in a row that leave a gateway out: one slow answer of a busy silo must not.</summary>
    public const int FailuresToMarkUnresponsive = 2;

    private readonly ConcurrentDictionary<IPEndPoint, int> _failures = new();
    private IReadOnlyDictionary<IPEndPoint, Uri> _targets = new Dictionary<IPEndPoint, Uri>();
    private DateTimeOffset? _targetsAt;

    /// <summary>True when <paramref name="gateway"/> has not answered its last <see cref="FailuresToMarkUnresponsive"/> probes.</summary>
    public bool IsUnresponsive(IPEndPoint gateway) =>
        _failures.TryGetValue(gateway, out var failures) && failures >= FailuresToMarkUnresponsive;

    /// <summary>One round: reads the targets again when due, then asks every gateway at once.</summary>
    public async Task ProbeOnceAsync(CancellationToken cancellationToken)
    {
        if (_targetsAt is not { } at || time.GetUtcNow() - at >= TargetsFor)
        {
            try
            {
                _targets = await loadTargets(cancellationToken);
                _targetsAt = time.GetUtcNow();
                foreach (var gone in _failures.Keys.Where(k => !_targets.ContainsKey(k)))
                {
                    _failures.TryRemove(gone, out _);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // The state database may be down (its own restart): the gateways known so far are still probed.
                LogTargetsFailed(e.Message);
            }
        }

        await Task.WhenAll(_targets.Select(t => ProbeAsync(t.Key, t.Value, cancellationToken)));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        do
        {
            await ProbeOnceAsync(stoppingToken);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public override void Dispose()
    {
        http.Dispose();
        base.Dispose();
    }

    private async Task ProbeAsync(IPEndPoint gateway, Uri url, CancellationToken cancellationToken)
    {
        bool answered;
        using (var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            bounded.CancelAfter(timeout);
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, url);
                using var response = await http.SendAsync(request, bounded.Token);
                answered = response.IsSuccessStatusCode;
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                answered = false; // refused, reset, timed out, or an answer that is no HTTP: all the same here
            }
        }

        if (answered)
        {
            if (_failures.TryRemove(gateway, out var failures) && failures >= FailuresToMarkUnresponsive)
            {
                LogResponsive(gateway.ToString());
            }
        }
        else if (_failures.AddOrUpdate(gateway, 1, (_, f) => f + 1) == FailuresToMarkUnresponsive)
        {
            LogUnresponsive(gateway.ToString(), url, FailuresToMarkUnresponsive, timeout.TotalMilliseconds);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Gateway {Gateway} did not answer {Url} {Failures} times within {TimeoutMs} ms: no new calls go through it until it answers")]
    private partial void LogUnresponsive(string gateway, Uri url, int failures, double timeoutMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Gateway {Gateway} answers its health probe again: calls may go through it")]
    private partial void LogResponsive(string gateway);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Reading the gateways' health URLs failed: {Reason}")]
    private partial void LogTargetsFailed(string reason);
}
