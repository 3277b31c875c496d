using Microsoft.Extensions.Logging;
using OrleansGate.Audit;
using OrleansGate.Grains;
using OrleansGate.Model;

namespace OrleansGate.Edge.Sessions;

public sealed partial class EdgeSession
{
    /// <summary>The longest single wait on an approval grain: a silo lost meanwhile costs one retry, not the wait.</summary>
    private static readonly TimeSpan ApprovalPoll = TimeSpan.FromSeconds(20);

    /// <summary>Pause before asking again after the cluster failed to answer (a silo died; the grain moves).</summary>
    private static readonly TimeSpan ApprovalRetry = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Takes a request an approve rule holds (<paramref name="decision"/>, already recorded) to its approval and returns
    /// what to do with it: allowed (its record, naming the approval and its approvers, durable), or refused — denied,
    /// expired, withdrawn (<see cref="GatewayRules.ApprovalWithdrawn"/>), waiting in retry mode, or unavailable.
    /// </summary>
    /// <param name="text">The request in full: approvers see it; it goes to the approval's state only, never to logs or the audit.</param>
    /// <param name="waiting">Told once, at once, when the request starts waiting (the agent's notice).</param>
    /// <param name="withdraw">The agent withdraws the request (a cancel): the approval is withdrawn.</param>
    /// <param name="ended">The session ends: the wait stops, the approval stays for the agent's next attempt.</param>
    public ValueTask<Decision> AwaitApprovalAsync(
        Decision decision, SqlAction action, string text, Func<ApprovalView, ValueTask> waiting, CancellationToken withdraw, CancellationToken ended)
    {
        ArgumentNullException.ThrowIfNull(action);
        return AwaitApprovalCoreAsync(
            decision,
            new ApprovalSubject(text, action.NormalizedSql, action.Fingerprint, action.KindsText, "statement"),
            d => RecordAsync(d, action),
            d => AuditRecords.Statement(_services.Time.GetUtcNow(), Info, action, d),
            waiting,
            withdraw,
            ended);
    }

    /// <summary>
    /// As the statement overload, for a request of another protocol (the HTTP path): <paramref name="recordOf"/> builds
    /// its record for a decision (the approval's id and approvers are added to the outcome's).
    /// </summary>
    public ValueTask<Decision> AwaitApprovalAsync(
        Decision decision, ApprovalSubject subject, Func<Decision, AuditRecord> recordOf, Func<ApprovalView, ValueTask> waiting, CancellationToken withdraw, CancellationToken ended)
    {
        ArgumentNullException.ThrowIfNull(recordOf);
        return AwaitApprovalCoreAsync(decision, subject, d => RecordRequestAsync(recordOf(d)), recordOf, waiting, withdraw, ended);
    }

    /// <summary>What an approval is asked for, whatever the protocol.</summary>
    /// <param name="Text">What approvers see (the statement in full; an HTTP request's description, never its body).</param>
    /// <param name="Normalized">What the audit keeps of it.</param>
    /// <param name="Fingerprint">Requests of one fingerprint share a requests grain (and a <c>shape</c> reuse window).</param>
    /// <param name="Kinds">Its kinds as the audit names them.</param>
    /// <param name="Noun">How the agent's messages name it ("send the same statement again").</param>
    public sealed record ApprovalSubject(string Text, string Normalized, string Fingerprint, string? Kinds, string Noun);

    private async ValueTask<Decision> AwaitApprovalCoreAsync(
        Decision decision,
        ApprovalSubject subject,
        Func<Decision, ValueTask<Decision>> recordRefusal,
        Func<Decision, AuditRecord> recordOf,
        Func<ApprovalView, ValueTask> waiting,
        CancellationToken withdraw,
        CancellationToken ended)
    {
        ArgumentNullException.ThrowIfNull(decision);
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(waiting);
        if (_services.Decider.TermsOf(decision) is not { } terms)
        {
            return await recordRefusal(_services.Decider.Refusal(GatewayRules.PolicyUnavailable,
                $"the policy changed while rule '{decision.Rule}' was applied; send the {subject.Noun} again")).ConfigureAwait(false);
        }

        var request = new ApprovalRequest(Info.Agent, Info.Target, Info.Protocol, subject.Text, subject.Normalized, subject.Fingerprint,
            decision.Rule, decision.Reason, decision.PolicyVersion, terms, Info.SessionId, Info.EdgeNode)
        { Kinds = subject.Kinds };
        var requests = _services.Grains.GetGrain<IApprovalRequestsGrain>(ApprovalKeys.Requests(Info.Agent, Info.Target, subject.Fingerprint));
        ApprovalTicket ticket;
        try
        {
            ticket = await requests.Request(request).WaitAsync(ended).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not (OperationCanceledException or OutOfMemoryException))
        {
            LogApprovalUnavailable(_services.Logger, Info.SessionId, e.Message);
            return await recordRefusal(new Decision(DecisionEffect.Unavailable, GatewayRules.ClusterUnavailable,
                "the approval could not be asked for (the cluster did not answer); retry later", decision.PolicyVersion, 0)).ConfigureAwait(false);
        }

        // A loop: when another session of the agent used up the approval this one waited on, it waits on the next.
        while (ticket.Kind is ApprovalTicketKind.Opened or ApprovalTicketKind.Pending)
        {
            if (terms.Mode == ApprovalMode.Retry)
            {
                return await recordRefusal(Waiting(decision, ticket.Approval, subject.Noun)).ConfigureAwait(false);
            }

            await waiting(ticket.Approval).ConfigureAwait(false);
            ticket = await WaitForDecisionAsync(requests, request, ticket.Approval, withdraw, ended).ConfigureAwait(false);
        }

        var approval = ticket.Approval;
        var outcome = ticket.Kind == ApprovalTicketKind.Granted
            ? decision with
            {
                Effect = DecisionEffect.Allow,
                Reason = $"approved by {string.Join(", ", approval.Approvers)} (approval {approval.Id})",
                AuditSequence = 0,
            }
            : Refusal(decision, approval, subject.Noun);
        try
        {
            var record = recordOf(outcome) with
            {
                ApprovalId = approval.Id,
                Approver = ticket.Kind == ApprovalTicketKind.Granted ? string.Join(",", approval.Approvers) : approval.DecidedBy,
            };
            var sequence = await _audit.AppendAsync(record).ConfigureAwait(false);
            return outcome with { AuditSequence = sequence };
        }
        catch (AuditUnavailableException e)
        {
            Refused(e.Message);
            return new Decision(DecisionEffect.Unavailable, GatewayRules.AuditUnavailable, e.Message, decision.PolicyVersion, 0);
        }
    }

    /// <summary>Waits until the approval is decided (or withdrawn by the agent), asking again across lost silos; then asks what the request may do.</summary>
    private async Task<ApprovalTicket> WaitForDecisionAsync(
        IApprovalRequestsGrain requests, ApprovalRequest request, ApprovalView pending, CancellationToken withdraw, CancellationToken ended)
    {
        var approval = _services.Grains.GetGrain<IApprovalGrain>(pending.Id);

        // The grain expires it on time; the extra margin only bounds the wait if the cluster cannot say so.
        var giveUpAt = pending.ExpiresAt + TimeSpan.FromSeconds(30);
        var current = pending;
        while (current.Status == ApprovalStatus.Pending)
        {
            ended.ThrowIfCancellationRequested();
            if (withdraw.IsCancellationRequested)
            {
                current = await WithdrawAsync(approval, current, ended).ConfigureAwait(false);
                break;
            }

            if (_services.Time.GetUtcNow() >= giveUpAt)
            {
                return new ApprovalTicket(ApprovalTicketKind.Refused, current with { Status = ApprovalStatus.Expired, DecisionComment = "the cluster could not be asked before the approval's deadline" });
            }

            try
            {
                current = await approval.WaitDecided(ApprovalPoll).WaitAsync(withdraw).WaitAsync(ended).ConfigureAwait(false) ?? current;
            }
            catch (OperationCanceledException) when (withdraw.IsCancellationRequested && !ended.IsCancellationRequested)
            {
                // Withdrawn: taken in hand at the top of the loop.
            }
            catch (Exception e) when (e is not (OperationCanceledException or OutOfMemoryException))
            {
                LogApprovalRetry(_services.Logger, Info.SessionId, pending.Id, e.Message);
                await Task.Delay(ApprovalRetry, _services.Time, ended).ConfigureAwait(false);
            }
        }

        // Decided: the requests grain says what it means for this request (and uses up a once-only approval).
        while (true)
        {
            try
            {
                var ticket = await requests.Request(request).WaitAsync(ended).ConfigureAwait(false);

                // Withdrawn by the agent: refused, even if the withdrawal did not reach the approval (it then expires).
                return withdraw.IsCancellationRequested && ticket.Kind != ApprovalTicketKind.Granted
                    ? new ApprovalTicket(ApprovalTicketKind.Refused, current with { Status = ApprovalStatus.Withdrawn })
                    : ticket;
            }
            catch (Exception e) when (e is not (OperationCanceledException or OutOfMemoryException))
            {
                if (_services.Time.GetUtcNow() >= giveUpAt)
                {
                    return new ApprovalTicket(ApprovalTicketKind.Refused, current with { Status = ApprovalStatus.Expired, DecisionComment = "the cluster could not be asked before the approval's deadline" });
                }

                LogApprovalRetry(_services.Logger, Info.SessionId, pending.Id, e.Message);
                await Task.Delay(ApprovalRetry, _services.Time, ended).ConfigureAwait(false);
            }
        }
    }

    private async Task<ApprovalView> WithdrawAsync(IApprovalGrain approval, ApprovalView current, CancellationToken ended)
    {
        try
        {
            return await approval.Withdraw("the agent cancelled the request").WaitAsync(ended).ConfigureAwait(false) ?? current;
        }
        catch (Exception e) when (e is not (OperationCanceledException or OutOfMemoryException))
        {
            // The request is refused either way; the approval stays pending until it expires (and would then run nothing:
            // the agent is no longer waiting, and a new request asks again).
            LogApprovalRetry(_services.Logger, Info.SessionId, current.Id, e.Message);
            return current with { Status = ApprovalStatus.Withdrawn, DecisionComment = "the agent cancelled the request" };
        }
    }

    /// <summary>Retry mode: refused now, naming the approval; the same request sent again after approval runs.</summary>
    private static Decision Waiting(Decision decision, ApprovalView approval, string noun) => decision with
    {
        Effect = DecisionEffect.Deny,
        Reason = $"{decision.Reason}: approval {approval.Id} is pending ({Needed(approval)}); send the same {noun} again once it is approved",
    };

    /// <summary>A refusal that names the approval, its decision, who decided and their comment.</summary>
    private static Decision Refusal(Decision decision, ApprovalView approval, string noun) => approval.Status switch
    {
        ApprovalStatus.Withdrawn => decision with
        {
            Effect = DecisionEffect.Deny,
            Rule = GatewayRules.ApprovalWithdrawn,
            Reason = $"canceling {noun} due to user request: approval {approval.Id} withdrawn",
        },
        ApprovalStatus.Denied => decision with
        {
            Effect = DecisionEffect.Deny,
            Reason = $"approval {approval.Id} was denied by {approval.DecidedBy}{(approval.DecisionComment is { } c ? $": {c}" : "")}",
        },
        _ => decision with
        {
            Effect = DecisionEffect.Deny,
            Reason = $"approval {approval.Id} expired{(approval.DecisionComment is { } c ? $" ({c})" : "")}",
        },
    };

    /// <summary>What is waited for, in words.</summary>
    public static string Needed(ApprovalView approval)
    {
        ArgumentNullException.ThrowIfNull(approval);
        var terms = approval.Request.Terms;
        var have = approval.Votes.Count(v => v.Approve);
        return $"{terms.Required - have} more approval(s) from {string.Join(" or ", terms.ApproverGroups)}, until {approval.ExpiresAt:yyyy-MM-dd HH:mm:ss}Z";
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId}: an approval could not be asked for, the statement is refused: {Error}")]
    private static partial void LogApprovalUnavailable(ILogger logger, string sessionId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId}: approval {ApprovalId} did not answer, asking again: {Error}")]
    private static partial void LogApprovalRetry(ILogger logger, string sessionId, string approvalId, string error);
}
