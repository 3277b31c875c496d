namespace OrleansGate.Grains.Approvals.Notifications;

/// <summary>What an <see cref="ApprovalNotice"/> tells approvers.</summary>
public enum ApprovalNoticeKind
{
    /// <summary>A request waits for a decision.</summary>
    Requested = 0,

    /// <summary>The approval was approved, denied, expired or withdrawn.</summary>
    Decided = 1,

    /// <summary>A request still waits (sent every <see cref="ApprovalNotificationOptions.RemindEvery"/> while it does).</summary>
    Reminder = 2,
}
