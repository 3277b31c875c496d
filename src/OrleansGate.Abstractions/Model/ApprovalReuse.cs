namespace OrleansGate.Model;

/// <summary>What an approval covers beyond the request that asked for it, within the window its approvers grant.</summary>
public enum ApprovalReuse
{
    /// <summary>That one request, run once.</summary>
    None = 0,

    /// <summary>The same agent sending the same text to the same target again.</summary>
    Exact = 1,

    /// <summary>The same agent sending a statement of the same normalised fingerprint to the same target.</summary>
    Shape = 2,
}
