using System.Collections.Immutable;

namespace OrleansGate.Kubernetes.Masking;

/// <summary>
/// Which values <see cref="KubernetesResponseMasker"/> replaces: Secret values (on by default) and configured JSON paths
/// per kind. Immutable; build with <see cref="WithPaths"/>.
/// </summary>
/// <remarks>
/// Keys are kept, values replaced: an agent may learn that a Secret has a key <c>password</c>, never its value
/// (<c>kubectl describe secret</c> shows as much, and managedFields name the keys anyway).
/// Path syntax: see <see cref="WithPaths"/>. An object whose kind cannot be told is masked as a Secret.
/// </remarks>
public sealed class KubernetesMaskRules
{
    /// <summary>
    /// Secret values: <c>data</c>, <c>stringData</c>, and the last-applied annotation, which <c>kubectl apply</c> fills
    /// with the whole Secret as it was applied, values included.
    /// </summary>
    private static readonly ImmutableArray<MaskPath> SecretValuePaths =
    [
        MaskPath.Parse(KindSelector.Secret, "data.*"),
        MaskPath.Parse(KindSelector.Secret, "stringData.*"),
        MaskPath.Parse(KindSelector.Secret, @"metadata.annotations.kubectl\.kubernetes\.io/last-applied-configuration"),
    ];

    private readonly ImmutableArray<MaskPath> _paths;

    private KubernetesMaskRules(bool maskSecretValues, ImmutableArray<MaskPath> paths, bool refusesServerSideForms = false) =>
        (MaskSecretValues, _paths, RefusesServerSideForms) = (maskSecretValues, paths, refusesServerSideForms);

    /// <summary>Secret values masked, no other path.</summary>
    public static KubernetesMaskRules Default { get; } = new(maskSecretValues: true, []);

    /// <summary>Whether Secret <c>data</c> and <c>stringData</c> values are masked; off only where a policy rule says so.</summary>
    public bool MaskSecretValues { get; }

    public KubernetesMaskRules WithSecretValuesMasked(bool masked) => new(masked, _paths, RefusesServerSideForms);

    /// <summary>
    /// Whether a Table or metadata-only object (<c>meta.k8s.io</c>, what <c>Accept: …;as=Table</c> asks for) in the
    /// response ends the masking: their cells and metadata are copies the masker cannot mask by the objects' own kind.
    /// </summary>
    public bool RefusesServerSideForms { get; }

    /// <summary>Refuses Tables and metadata-only objects; for a request whose resource <see cref="MayMask"/>.</summary>
    public KubernetesMaskRules WithServerSideFormsRefused() => new(MaskSecretValues, _paths, refusesServerSideForms: true);

    /// <summary>
    /// Whether objects of <paramref name="resource"/> (a plural) in <paramref name="apiGroup"/> ("" the core group) may
    /// have values to mask. Certain for Kubernetes' own resources; any other resource's kind cannot be told from its
    /// plural, so it may be masked when any path (Secret values included: a Secret selector names any group) could
    /// apply to a kind of its group.
    /// </summary>
    public bool MayMask(string apiGroup, string resource)
    {
        ArgumentNullException.ThrowIfNull(apiGroup);
        if (BuiltInResourceKinds.KindOf(apiGroup, resource) is { } kind)
        {
            return HasPathsFor(new(apiGroup.Length == 0 ? "v1" : apiGroup + "/v1", kind));
        }

        return MaskSecretValues || _paths.Any(path => path.Kind.Group is null || path.Kind.Group == apiGroup);
    }

    /// <summary>Also masks <paramref name="paths"/> in objects of <paramref name="kind"/>.</summary>
    /// <param name="kind"><c>Kind</c> (any API group), <c>group/Kind</c> (<c>apps/Deployment</c>), <c>core/Kind</c> for the core group.</param>
    /// <param name="paths">
    /// Keys separated by <c>.</c>; <c>*</c> as a whole key matches any one key; <c>[*]</c> after a key matches every array
    /// element; <c>\</c> escapes <c>. [ ] * \</c> in a key. E.g. <c>data.password</c>, <c>data.*</c>,
    /// <c>spec.containers[*].env[*].value</c>, <c>data.app\.properties</c>. A path naming an object or array masks it whole.
    /// </param>
    /// <exception cref="ArgumentException">A kind or path that does not follow the syntax.</exception>
    public KubernetesMaskRules WithPaths(string kind, params IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var selector = KindSelector.Parse(kind);
        return new(MaskSecretValues, _paths.AddRange(paths.Select(path => MaskPath.Parse(selector, path))), RefusesServerSideForms);
    }

    /// <summary>The paths masked in an object of this identity; Secret values first, so their placeholder wins.</summary>
    internal ImmutableArray<MaskPath> PathsFor(ObjectIdentity identity)
    {
        if (identity.Kind is null)
        {
            // Fail closed: an object whose kind cannot be told could be a Secret.
            identity = identity with { Kind = KindSelector.Secret.Kind };
        }

        var paths = ImmutableArray.CreateBuilder<MaskPath>();
        if (MaskSecretValues && KindSelector.Secret.Matches(identity))
        {
            paths.AddRange(SecretValuePaths);
        }

        foreach (var path in _paths)
        {
            if (path.Kind.Matches(identity))
            {
                paths.Add(path);
            }
        }

        return paths.ToImmutable();
    }

    /// <summary>Whether the object itself has anything to mask, so it must be held whole before it is written.</summary>
    internal bool HasPathsFor(ObjectIdentity identity) => !PathsFor(identity).IsEmpty;
}
