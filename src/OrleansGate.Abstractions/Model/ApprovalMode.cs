namespace OrleansGate.Model;

/// <summary>How an agent waits for an approval.</summary>
public enum ApprovalMode
{
    /// <summary>The request is held until it is decided or the rule's timeout passes; then it runs or is refused.</summary>
    Wait = 0,

    /// <summary>The request is refused at once, naming the approval; sent again once approved, it runs.</summary>
    Retry = 1,
}
