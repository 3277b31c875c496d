namespace OrleansGate.Policy.Model;

/// <summary>Who is asking: the verified subject, its groups and any claims carried with it.</summary>
public sealed record PolicyIdentity(
    string Subject,
    IReadOnlyList<string> Groups,
    IReadOnlyDictionary<string, string>? Claims = null);
