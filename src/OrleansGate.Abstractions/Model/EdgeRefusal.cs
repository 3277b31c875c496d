namespace OrleansGate.Model;

/// <summary>
/// A statement the edge refused by its own bookkeeping, without asking the session grain: a Bind or Execute of a
/// name the gateway cannot vouch for, a Parse past the statement limit, or a Bind or Execute that repeats the refusal
/// of its Parse. Recorded like a refused statement, with the SQLSTATE the client got as the outcome.
/// </summary>
/// <param name="Statement">What the refused statement does, when the edge knows its text; otherwise no statement text.</param>
[GenerateSerializer, Immutable]
public sealed record EdgeRefusal(
    [property: Id(0)] SqlAction Statement,
    [property: Id(1)] Decision Decision,
    [property: Id(2)] string SqlState);
