using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansGate.Audit;
using OrleansGate.Grains.Approvals.Notifications;
using OrleansGate.Model;

namespace OrleansGate.Grains.Approvals;

/// <summary>
/// One approval (see <see cref="IApprovalGrain"/>). A non-reentrant grain, so votes arriving at the same moment through
/// different nodes are taken one after the other and the decision is made exactly once; only <see cref="WaitDecided"/>
/// interleaves, and it only reads.
/// </summary>
/// <remarks>
/// Every change is audited before it is stored: a vote whose record cannot be written changes nothing and is refused
/// (the approver tries again). The full text of the request is kept in this state only, and blanked
/// <see cref="TextRetention"/> after the decision.
/// </remarks>
public sealed partial class ApprovalGrain(
    [PersistentState("approval", GrainStorage.Name)] IPersistentState<ApprovalState> state,
    IAuditSink audit,
    ApprovalNotifications notifications,
    IOptions<ApprovalNotificationOptions> notificationOptions,
    ApprovalTelemetry telemetry,
    TimeProvider time,
    ILogger<ApprovalGrain> logger) : Grain, IApprovalGrain, IRemindable
{
    /// <summary>How long the full text stays readable by approvers after the decision.</summary>
    public static readonly TimeSpan TextRetention = TimeSpan.FromMinutes(10);

    /// <summary>Longest comment kept (the rest is cut): comments go into the audit and to the agent.</summary>
    public const int MaxCommentLength = 500;

    private const string ExpiryReminder = "expiry";
    private readonly TaskCompletionSource _decided = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private AuditChain? _chain;
    private IGrainTimer? _expiryTimer;
    private IGrainTimer? _remindTimer;
    private DateTimeOffset _remindedAt;

    private string Id => this.GetPrimaryKeyString();

    // Resumed: the chain outlives any one activation (Start only for the first record, in Open).
    private AuditChain Chain => _chain ??= AuditChain.Resume(audit, AuditChainIds.Approval(Id));

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (state.RecordExists && state.State.Status == ApprovalStatus.Pending)
        {
            ScheduleExpiry();
        }
        else if (state.RecordExists)
        {
            _decided.TrySetResult();
        }

        return Task.CompletedTask;
    }

    public async Task<ApprovalView> Open(ApprovalRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (state.RecordExists)
        {
            return View();
        }

        var now = time.GetUtcNow();
        _chain = AuditChain.Start(audit, AuditChainIds.Approval(Id));
        await _chain.AppendAsync(AuditRecords.Approval(now, Id, request, AuditEventKind.ApprovalRequested, "requested", null,
            $"{request.Terms.Required} approval(s) from {string.Join(", ", request.Terms.ApproverGroups)}, mode {request.Terms.Mode.ToString().ToLowerInvariant()}, expires in {request.Terms.Timeout}"));

        state.State = new ApprovalState
        {
            Request = request,
            Status = ApprovalStatus.Pending,
            RequestedAt = now,
            ExpiresAt = now + request.Terms.Timeout,
        };
        await state.WriteStateAsync();

        // Durable expiry: whichever silo holds the grain when it is due expires it (the timer is only the precise path).
        await this.RegisterOrUpdateReminder(ExpiryReminder, FirstTick(request.Terms.Timeout), TimeSpan.FromMinutes(1));
        ScheduleExpiry();
        await GrainFactory.GetGrain<IApprovalDirectoryGrain>(ApprovalKeys.Directory).Add(Id);
        LogOpened(logger, Id, request.Rule, request.Target);
        telemetry.Opened(request.Rule);

        // Queued, never awaited: a notice that cannot be delivered never holds up the request or its decision.
        notifications.Enqueue(ApprovalNoticeKind.Requested, View());
        return View();
    }

    public async Task<ApprovalView?> Get()
    {
        if (!state.RecordExists)
        {
            return null;
        }

        await ExpireIfDueAsync();
        await ForgetTextIfDueAsync();
        return View();
    }

    public async Task<ApprovalVoteResult> Vote(ApprovalVote vote)
    {
        ArgumentNullException.ThrowIfNull(vote);
        if (!state.RecordExists)
        {
            return new ApprovalVoteResult(ApprovalVoteOutcome.NotFound, null, "no approval has this id");
        }

        await ExpireIfDueAsync();
        var s = state.State;
        var request = s.Request!;
        if (s.Status != ApprovalStatus.Pending)
        {
            return Refused(ApprovalVoteOutcome.AlreadyDecided, $"the request is already {s.Status.ToString().ToLowerInvariant()}; nothing changed");
        }

        if (vote.Approver.Issuer == request.Agent.Issuer && vote.Approver.Subject == request.Agent.Subject)
        {
            return Refused(ApprovalVoteOutcome.SelfApproval, "an approver cannot decide a request of their own identity; nothing changed");
        }

        if (!vote.Approver.Groups.Any(g => request.Terms.ApproverGroups.Contains(g, StringComparer.Ordinal)))
        {
            return Refused(ApprovalVoteOutcome.NotAnApprover,
                $"'{vote.Approver.Subject}' is in none of the approver groups of rule '{request.Rule}' ({string.Join(", ", request.Terms.ApproverGroups)}); nothing changed");
        }

        if (s.Votes.Exists(v => v.ApproverIssuer == vote.Approver.Issuer && v.ApproverSubject == vote.Approver.Subject))
        {
            return Refused(ApprovalVoteOutcome.AlreadyVoted, $"'{vote.Approver.Subject}' has voted on this request already (an approver counts once); nothing changed");
        }

        var now = time.GetUtcNow();
        var comment = Clean(vote.Comment);
        var cast = new ApprovalVoteRecord(vote.Approver.Issuer, vote.Approver.Subject, vote.Approve, comment, now, vote.Channel);
        var approvals = s.Votes.Count(v => v.Approve) + (vote.Approve ? 1 : 0);
        var decided = !vote.Approve ? ApprovalStatus.Denied : approvals >= request.Terms.Required ? ApprovalStatus.Approved : ApprovalStatus.Pending;
        var window = ReuseWindow(vote, request.Terms);

        List<AuditRecord> records =
        [
            AuditRecords.Approval(now, Id, request, AuditEventKind.ApprovalVote, vote.Approve ? "approve" : "deny", vote.Approver.Subject,
                $"via {vote.Channel}{(comment is null ? "" : $": {comment}")}"),
        ];
        if (decided != ApprovalStatus.Pending)
        {
            records.Add(AuditRecords.Approval(now, Id, request, AuditEventKind.ApprovalDecision, decided.ToString().ToLowerInvariant(),
                string.Join(",", s.Votes.Where(v => v.Approve).Select(v => v.Approver).Append(vote.Approver.Subject).Distinct()),
                decided == ApprovalStatus.Approved && window > TimeSpan.Zero ? $"reuse {request.Terms.Reuse.ToString().ToLowerInvariant()} for {window}" : null));
        }

        try
        {
            await Chain.AppendAsync(records);
        }
        catch (AuditUnavailableException e)
        {
            LogVoteNotAudited(logger, Id, e.Message);
            return Refused(ApprovalVoteOutcome.AuditUnavailable, "the vote could not be recorded in the audit; nothing changed, try again");
        }

        s.Votes.Add(cast);
        if (vote.Approve)
        {
            s.ReuseWindow = s.Votes.Count(v => v.Approve) == 1 ? window : TimeSpan.FromTicks(Math.Min(s.ReuseWindow.Ticks, window.Ticks));
        }

        if (decided == ApprovalStatus.Pending)
        {
            await state.WriteStateAsync();
            return new ApprovalVoteResult(ApprovalVoteOutcome.Counted, View(),
                $"approval counted ({approvals} of {request.Terms.Required}); the request still waits");
        }

        await DecideAsync(decided, now, comment);
        return new ApprovalVoteResult(ApprovalVoteOutcome.Decided, View(), $"the request is {decided.ToString().ToLowerInvariant()}");
    }

    public async Task<ApprovalView?> Withdraw(string reason)
    {
        if (!state.RecordExists)
        {
            return null;
        }

        await ExpireIfDueAsync();
        if (state.State.Status == ApprovalStatus.Pending)
        {
            var now = time.GetUtcNow();
            await Chain.AppendAsync(AuditRecords.Approval(now, Id, state.State.Request!, AuditEventKind.ApprovalDecision, "withdrawn", null, Clean(reason)));
            await DecideAsync(ApprovalStatus.Withdrawn, now, Clean(reason));
        }

        return View();
    }

    public async Task<ApprovalView?> WaitDecided(TimeSpan atMost)
    {
        if (!state.RecordExists)
        {
            return null;
        }

        if (state.State.Status == ApprovalStatus.Pending)
        {
            await Task.WhenAny(_decided.Task, Task.Delay(atMost, time));
        }

        return View();
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (!state.RecordExists)
        {
            await UnregisterExpiryAsync();
            return;
        }

        await ExpireIfDueAsync();
        await ForgetTextIfDueAsync();
        RemindIfDue();
        if (state.State.Status != ApprovalStatus.Pending && state.State.Request?.Text.Length is null or 0)
        {
            await UnregisterExpiryAsync();
        }
    }

    private async Task ExpireIfDueAsync()
    {
        var s = state.State;
        var now = time.GetUtcNow();
        if (s.Status != ApprovalStatus.Pending || now < s.ExpiresAt)
        {
            return;
        }

        // An expiry that cannot be audited stays pending (and is tried again); a vote after the deadline is refused all the same.
        await Chain.AppendAsync(AuditRecords.Approval(now, Id, s.Request!, AuditEventKind.ApprovalDecision, "expired", null,
            $"no decision within {s.Request!.Terms.Timeout}"));
        await DecideAsync(ApprovalStatus.Expired, now, $"no decision within {s.Request.Terms.Timeout}");
    }

    private async Task DecideAsync(ApprovalStatus status, DateTimeOffset at, string? comment)
    {
        var s = state.State;
        s.Status = status;
        s.DecidedAt = at;
        s.Comment = comment;
        await state.WriteStateAsync();
        _decided.TrySetResult();
        _expiryTimer?.Dispose();
        _expiryTimer = null;
        _remindTimer?.Dispose();
        _remindTimer = null;
        LogDecided(logger, Id, status);
        telemetry.Decided(s.Request!.Rule, status, at - s.RequestedAt);
        notifications.Enqueue(ApprovalNoticeKind.Decided, View());
        try
        {
            await GrainFactory.GetGrain<IApprovalDirectoryGrain>(ApprovalKeys.Directory).Remove(Id);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Listings ask each approval for its state, so a stale directory entry shows nothing wrong; it is removed next time.
            LogDirectoryNotUpdated(logger, Id, e.Message);
        }
    }

    private async Task ForgetTextIfDueAsync()
    {
        var s = state.State;
        if (s.DecidedAt is { } decided && time.GetUtcNow() >= decided + TextRetention && s.Request is { Text.Length: > 0 } request)
        {
            s.Request = request with { Text = "" };
            await state.WriteStateAsync();
        }
    }

    private void ScheduleExpiry()
    {
        ScheduleReminders();
        var due = state.State.ExpiresAt - time.GetUtcNow();
        _expiryTimer?.Dispose();
        _expiryTimer = this.RegisterGrainTimer(_ => ExpireIfDueAsync(),
            new GrainTimerCreationOptions(due > TimeSpan.Zero ? due : TimeSpan.Zero, Timeout.InfiniteTimeSpan) { KeepAlive = true });
    }

    /// <summary>
    /// Approvers are reminded every RemindEvery while the request waits: by a timer while the grain is active, and by the
    /// durable reminder's ticks (once a minute) after a silo that held it died.
    /// </summary>
    private void ScheduleReminders()
    {
        var every = notificationOptions.Value.RemindEvery;
        if (every <= TimeSpan.Zero || _remindTimer is not null)
        {
            return;
        }

        _remindedAt = time.GetUtcNow();
        _remindTimer = this.RegisterGrainTimer(() =>
        {
            RemindIfDue();
            return Task.CompletedTask;
        }, new GrainTimerCreationOptions(every, every) { KeepAlive = true });
    }

    private void RemindIfDue()
    {
        var every = notificationOptions.Value.RemindEvery;
        var now = time.GetUtcNow();
        if (every > TimeSpan.Zero && state.State.Status == ApprovalStatus.Pending && now < state.State.ExpiresAt && now - _remindedAt >= every - TimeSpan.FromMilliseconds(50))
        {
            _remindedAt = now;
            notifications.Enqueue(ApprovalNoticeKind.Reminder, View());
        }
    }

    /// <summary>The durable reminder's first tick: at the expiry, or sooner when approvers are reminded (Orleans ticks at most once a minute).</summary>
    private TimeSpan FirstTick(TimeSpan timeout)
    {
        var every = notificationOptions.Value.RemindEvery;
        if (every <= TimeSpan.Zero)
        {
            return timeout;
        }

        var first = every < TimeSpan.FromMinutes(1) ? TimeSpan.FromMinutes(1) : every;
        return first < timeout ? first : timeout;
    }

    private async Task UnregisterExpiryAsync()
    {
        if (await this.GetReminder(ExpiryReminder) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    private ApprovalVoteResult Refused(ApprovalVoteOutcome outcome, string message) => new(outcome, View(), message);

    private ApprovalView View()
    {
        var s = state.State;
        return new ApprovalView(Id, s.Status, s.Request!, s.RequestedAt, s.ExpiresAt, [.. s.Votes], s.DecidedAt, s.Comment, s.ReuseWindow);
    }

    /// <summary>The window an approving vote grants: what the approver asked for, never more than the rule allows.</summary>
    private static TimeSpan ReuseWindow(ApprovalVote vote, ApprovalTerms terms) =>
        !vote.Approve || terms.Reuse == ApprovalReuse.None || vote.ReuseWindow <= TimeSpan.Zero ? TimeSpan.Zero
        : vote.ReuseWindow > terms.MaxReuseWindow ? terms.MaxReuseWindow : vote.ReuseWindow;

    /// <summary>A comment as kept: trimmed, control characters replaced, at most <see cref="MaxCommentLength"/> characters.</summary>
    private static string? Clean(string? comment)
    {
        if (string.IsNullOrWhiteSpace(comment))
        {
            return null;
        }

        var text = new string([.. comment.Trim().Select(c => char.IsControl(c) ? ' ' : c)]);
        return text.Length <= MaxCommentLength ? text : text[..MaxCommentLength];
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Approval {ApprovalId} opened (rule {Rule}, target {Target})")]
    private static partial void LogOpened(ILogger logger, string approvalId, string rule, string target);

    [LoggerMessage(Level = LogLevel.Information, Message = "Approval {ApprovalId} is {Status}")]
    private static partial void LogDecided(ILogger logger, string approvalId, ApprovalStatus status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Approval {ApprovalId}: a vote was refused because its audit record could not be written: {Error}")]
    private static partial void LogVoteNotAudited(ILogger logger, string approvalId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Approval {ApprovalId}: the directory of pending approvals could not be updated: {Error}")]
    private static partial void LogDirectoryNotUpdated(ILogger logger, string approvalId, string error);
}
