namespace OrleansGate.Model;

public enum PolicyApplyOutcome
{
    /// <summary>Stored as a new version and pushed to subscribers.</summary>
    Applied = 0,

    /// <summary>The text equals the current policy's: nothing changed.</summary>
    Unchanged = 1,

    /// <summary>The text failed validation: nothing changed; see the error.</summary>
    Invalid = 2,
}
