namespace OrleansGate.Host.Approvals;

/// <summary>What <see cref="SlackSignature.Verify"/> found.</summary>
public enum SlackSignatureResult
{
    Valid = 0,

    /// <summary><c>X-Slack-Request-Timestamp</c> or <c>X-Slack-Signature</c> is absent.</summary>
    MissingHeader = 1,

    /// <summary>The timestamp is not a number of seconds.</summary>
    MalformedTimestamp = 2,

    /// <summary>The timestamp is more than five minutes from now, either way: a replayed (or badly clocked) request.</summary>
    StaleTimestamp = 3,

    /// <summary>The signature is not the one the signing secret gives for this timestamp and body.</summary>
    BadSignature = 4,
}
