namespace OrleansGate.Kubernetes.Masking;

/// <summary>
/// The forms the API server turns objects into when a client asks for them (<c>Accept: application/json;as=Table;…</c>,
/// <c>as=PartialObjectMetadataList</c>): a <c>meta.k8s.io</c> Table, whose rows' cells are printed columns of the
/// objects, and metadata-only objects. Neither carries the kind of the objects it was made from, so the masker, which
/// masks each object by its own kind, cannot mask what they copy: a cell showing a masked field, an annotation that a
/// path of the kind masks.
/// </summary>
internal static class ServerSideForm
{
    /// <summary>
    /// A kind of one of these forms; a kind read before its apiVersion (group unknown) counts, to fail closed.
    /// </summary>
    public static bool Is(ObjectIdentity identity) =>
        (identity.Kind is "Table" or "PartialObjectMetadata" or "PartialObjectMetadataList") && (identity.Group is null or "meta.k8s.io");

    /// <summary>Ends the masking when <paramref name="rules"/> refuse these forms and the object is one.</summary>
    /// <exception cref="KubernetesMaskingException">With <see cref="KubernetesMaskingError.ServerSideForm"/>.</exception>
    public static void Refuse(KubernetesMaskRules rules, ObjectIdentity identity)
    {
        if (rules.RefusesServerSideForms && Is(identity))
        {
            throw new KubernetesMaskingException(
                KubernetesMaskingError.ServerSideForm,
                $"the target answered with a {identity.Kind}, a form whose cells or metadata the gateway cannot mask for a resource with mask paths");
        }
    }
}
