namespace OrleansGate.Policy.Model;

/// <summary>A validated policy, ready to evaluate. Immutable, so one instance is shared by every session.</summary>
public sealed record CompiledPolicy
{
    /// <summary>The label from the file, or a hash of its text when the file names none.</summary>
    public required string Version { get; init; }

    public required IReadOnlyList<PolicyRule> Rules { get; init; }

    /// <summary>Upstream targets the file defines (<c>targets:</c>), by exact name; empty when it defines none.</summary>
    public IReadOnlyDictionary<string, PolicyTarget> Targets { get; init; } = EmptyTargets;

    /// <summary>
    /// Targets of kind <c>kubernetes</c> and <c>http</c> the file defines, by exact name; empty when it defines none. Apart from
    /// <see cref="Targets"/>, which stays PostgreSQL only, so what dials PostgreSQL never sees them. A name is in one of the two.
    /// </summary>
    public IReadOnlyDictionary<string, HttpTarget> HttpTargets { get; init; } = EmptyHttpTargets;

    /// <summary>Targets of kind <c>ssh</c> the file defines, by exact name; empty when it defines none. A name is in one of the three.</summary>
    public IReadOnlyDictionary<string, SshTarget> SshTargets { get; init; } = EmptySshTargets;

    /// <summary>Values masked in Kubernetes objects for every request (<c>kubernetes_masks:</c>); Secret values are masked besides, unless <see cref="PolicyDecision.RevealSecrets"/>.</summary>
    public IReadOnlyList<KubernetesMask> KubernetesMasks { get; init; } = [];

    /// <summary>The file's masks (<c>masks:</c>); empty when it defines none.</summary>
    public IReadOnlyList<PolicyMask> Masks { get; init; } = [];

    /// <summary>The file's cluster-wide limits per agent (<c>limits:</c>); empty when it defines none.</summary>
    public IReadOnlyList<PolicyLimit> Limits { get; init; } = [];

    /// <summary>Where it was loaded from, for messages.</summary>
    public string Source { get; init; } = "";

    private static readonly IReadOnlyDictionary<string, PolicyTarget> EmptyTargets = new Dictionary<string, PolicyTarget>(StringComparer.Ordinal);

    private static readonly IReadOnlyDictionary<string, HttpTarget> EmptyHttpTargets = new Dictionary<string, HttpTarget>(StringComparer.Ordinal);

    private static readonly IReadOnlyDictionary<string, SshTarget> EmptySshTargets = new Dictionary<string, SshTarget>(StringComparer.Ordinal);
}
