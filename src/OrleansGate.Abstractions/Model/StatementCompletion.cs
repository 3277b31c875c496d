namespace OrleansGate.Model;

/// <summary>
/// How an audited statement ended, as the edge saw it in the target's answer: rows affected or returned
/// (summed over the statements of a simple query), how long the target took, and <c>ok</c> or the SQLSTATE.
/// The session grain writes it as a completion record linked to the statement's record.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record StatementCompletion(
    [property: Id(0)] long StatementSessionSeq,
    [property: Id(1)] DateTimeOffset At,
    [property: Id(2)] long? Rows,
    [property: Id(3)] long DurationMicroseconds,
    [property: Id(4)] string Outcome,
    [property: Id(5)] IReadOnlyList<string>? Masked = null,
    [property: Id(6)] string? Detail = null)
{
    /// <summary>Outcome of a statement the target skipped because an earlier message of its pipeline failed.</summary>
    public const string NotRun = "not run";

    public const string Ok = "ok";
}
