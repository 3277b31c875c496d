namespace OrleansGate.Policy.Model;

/// <summary>
/// One entry of a policy's <c>kubernetes_masks:</c>: values the gateway masks in objects of <see cref="Kind"/>, in every
/// answer, whoever asks. Kind and paths are kept as written, in the syntax of the gateway's Kubernetes masker (its
/// <c>KubernetesMaskRules.WithPaths(kind, paths)</c>), which the loader checks. Secret values are masked besides,
/// by the masker itself, unless the deciding rule reveals them (<see cref="PolicyDecision.RevealSecrets"/>).
/// </summary>
public sealed record KubernetesMask
{
    /// <summary><c>Kind</c> (any API group), <c>group/Kind</c> (<c>apps/Deployment</c>) or <c>core/Kind</c> (the core group).</summary>
    public required string Kind { get; init; }

    /// <summary>
    /// Keys separated by <c>.</c>; <c>*</c> as a whole key is any one key; <c>[*]</c> after a key every element of the
    /// array there; <c>\</c> escapes <c>. [ ] * \</c> in a key (<c>data.app\.properties</c>).
    /// </summary>
    public required IReadOnlyList<string> Paths { get; init; }

    /// <summary>Line of the entry in its file, for messages.</summary>
    public int Line { get; init; }
}
