using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansGate.Model;

namespace OrleansGate.Grains.Approvals.Notifications;

/// <summary>
/// Tells approvers about approvals on every configured <see cref="IApprovalNotifier"/>, off the approval's path.
/// </summary>
/// <remarks>
/// <code>
///   approval grain ──Enqueue──▶ [bounded queue] ──one loop──▶ each notifier, own retries ──▶ Slack / webhook
/// </code>
/// <list type="number">
/// <item><see cref="Enqueue(ApprovalNotice)"/> never waits and never throws: a grain deciding an approval must not be
/// held by a slow or failing receiver. When the queue is full the notice is dropped, counted, and logged once.</item>
/// <item>The loop takes one notice at a time and hands it to every notifier at once; each retries with a doubling
/// delay (<see cref="ApprovalNotificationOptions.FirstRetryDelay"/> up to <see cref="ApprovalNotificationOptions.MaxRetryDelay"/>)
/// for <see cref="ApprovalNotificationOptions.MaxAttempts"/> attempts, then gives up and logs it.</item>
/// <item>Logs name the notifier, the approval id and the HTTP status: never a URL (Slack's is a secret) nor a statement.</item>
/// </list>
/// A receiver that is down delays the notices behind it by its retries (15 s with the defaults, plus timeouts);
/// notices still queued when the node stops are lost. Both cost a notification, never a decision.
/// </remarks>
public sealed partial class ApprovalNotifications : BackgroundService
{
    private readonly Channel<ApprovalNotice> _queue;
    private readonly IReadOnlyList<IApprovalNotifier> _notifiers;
    private readonly ApprovalNotificationOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ApprovalNotifications> _logger;
    private long _dropped;

    // 1 from the first drop until a notice fits again: one warning per time the queue fills, not one per notice.
    private int _full;

    public ApprovalNotifications(
        IEnumerable<IApprovalNotifier> notifiers, IOptions<ApprovalNotificationOptions> options, TimeProvider time, ILogger<ApprovalNotifications> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _notifiers = [.. notifiers];
        _options = options.Value;
        _time = time;
        _logger = logger;
        _queue = Channel.CreateBounded<ApprovalNotice>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait, // with TryWrite: a full queue answers false at once, so the drop is counted here
            SingleReader = true,
        });
    }

    /// <summary>The configured notifiers' names.</summary>
    public IEnumerable<string> Notifiers => _notifiers.Select(n => n.Name);

    /// <summary>Notices dropped because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Queues the notice of <paramref name="kind"/> for <paramref name="approval"/> (see <see cref="Enqueue(ApprovalNotice)"/>).</summary>
    public void Enqueue(ApprovalNoticeKind kind, ApprovalView approval)
    {
        if (approval is not null && _notifiers.Count > 0)
        {
            Enqueue(ApprovalNotice.Create(kind, approval, _options.PageUrl));
        }
    }

    /// <summary>Queues <paramref name="notice"/> for delivery; returns at once, whether it was queued or dropped.</summary>
    public void Enqueue(ApprovalNotice notice)
    {
        if (notice is null || _notifiers.Count == 0)
        {
            return;
        }

        if (_queue.Writer.TryWrite(notice))
        {
            Volatile.Write(ref _full, 0);
            return;
        }

        var dropped = Interlocked.Increment(ref _dropped);
        if (Interlocked.Exchange(ref _full, 1) == 0)
        {
            LogQueueFull(_logger, _options.QueueCapacity, notice.Approval.Id, dropped);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var notice in _queue.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                await Task.WhenAll(_notifiers.Select(n => DeliverAsync(n, notice, stoppingToken))).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: what is still queued is not sent (see remarks).
        }
    }

    /// <summary>Delivers <paramref name="notice"/> through <paramref name="notifier"/> with retries; false when it gave up.</summary>
    internal async Task<bool> DeliverAsync(IApprovalNotifier notifier, ApprovalNotice notice, CancellationToken ct)
    {
        var delay = _options.FirstRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            string failure;
            try
            {
                await notifier.SendAsync(notice, ct).ConfigureAwait(false);
                if (attempt > 1)
                {
                    LogDeliveredAfterRetries(_logger, notice.Approval.Id, notifier.Name, attempt);
                }

                return true;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e)
            {
                // Never the exception's message or stack: those may hold the URL.
                failure = Describe(e);
            }

            if (attempt >= _options.MaxAttempts)
            {
                LogGaveUp(_logger, notice.Approval.Id, notifier.Name, attempt, failure);
                return false;
            }

            LogAttemptFailed(_logger, notice.Approval.Id, notifier.Name, attempt, _options.MaxAttempts, failure, delay);
            await Task.Delay(delay, _time, ct).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxRetryDelay.Ticks));
        }
    }

    private static string Describe(Exception e) => e switch
    {
        HttpRequestException { StatusCode: { } status } => $"HTTP {(int)status}",
        HttpRequestException http => $"no response ({http.HttpRequestError})",

        // HttpClient's own timeout surfaces as a cancellation the caller did not ask for.
        OperationCanceledException => "timed out",

        // Names the variable or file, never the value.
        CredentialUnavailableException credential => credential.Message,
        _ => e.GetType().Name,
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Approval notification queue is full ({Capacity}): the notice of {ApprovalId} was dropped ({Dropped} dropped so far); no more drops are logged until the queue has room")]
    private static partial void LogQueueFull(ILogger logger, int capacity, string approvalId, long dropped);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Approval notice of {ApprovalId} to {Notifier} failed, attempt {Attempt} of {MaxAttempts}: {Failure}; retrying in {Delay}")]
    private static partial void LogAttemptFailed(ILogger logger, string approvalId, string notifier, int attempt, int maxAttempts, string failure, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Error, Message = "Approval notice of {ApprovalId} to {Notifier} not delivered after {Attempts} attempts: {Failure}; the approval itself is unaffected")]
    private static partial void LogGaveUp(ILogger logger, string approvalId, string notifier, int attempts, string failure);

    [LoggerMessage(Level = LogLevel.Information, Message = "Approval notice of {ApprovalId} to {Notifier} delivered at attempt {Attempt}")]
    private static partial void LogDeliveredAfterRetries(ILogger logger, string approvalId, string notifier, int attempt);
}
