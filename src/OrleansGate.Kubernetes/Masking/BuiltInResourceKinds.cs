using System.Collections.Frozen;

namespace OrleansGate.Kubernetes.Masking;

/// <summary>
/// The kind of each resource Kubernetes serves itself (1.32), by API group and plural: the one mapping from a request's
/// resource to the kind its objects carry that is certain.
/// </summary>
/// <remarks>
/// A custom resource's plural is whatever its definition says (kind <c>Foo</c> may be served as <c>bars</c>), so it is
/// not guessed from the name: a resource missing here has an unknown kind. Groups without a dot (<c>apps</c>,
/// <c>batch</c>, the core group) cannot be defined by a CustomResourceDefinition, and a definition cannot replace a
/// built-in resource, so what is here is what the API server serves.
/// </remarks>
internal static class BuiltInResourceKinds
{
    private static readonly FrozenDictionary<(string Group, string Resource), string> Kinds = new (string Group, string Kinds)[]
    {
        ("", "bindings Binding, componentstatuses ComponentStatus, configmaps ConfigMap, endpoints Endpoints, events Event, limitranges LimitRange, "
            + "namespaces Namespace, nodes Node, persistentvolumeclaims PersistentVolumeClaim, persistentvolumes PersistentVolume, pods Pod, "
            + "podtemplates PodTemplate, replicationcontrollers ReplicationController, resourcequotas ResourceQuota, secrets Secret, "
            + "serviceaccounts ServiceAccount, services Service"),
        ("admissionregistration.k8s.io", "mutatingwebhookconfigurations MutatingWebhookConfiguration, validatingwebhookconfigurations "
            + "ValidatingWebhookConfiguration, validatingadmissionpolicies ValidatingAdmissionPolicy, validatingadmissionpolicybindings "
            + "ValidatingAdmissionPolicyBinding"),
        ("apiextensions.k8s.io", "customresourcedefinitions CustomResourceDefinition"),
        ("apiregistration.k8s.io", "apiservices APIService"),
        ("apps", "controllerrevisions ControllerRevision, daemonsets DaemonSet, deployments Deployment, replicasets ReplicaSet, statefulsets StatefulSet"),
        ("autoscaling", "horizontalpodautoscalers HorizontalPodAutoscaler"),
        ("batch", "cronjobs CronJob, jobs Job"),
        ("certificates.k8s.io", "certificatesigningrequests CertificateSigningRequest"),
        ("coordination.k8s.io", "leases Lease"),
        ("discovery.k8s.io", "endpointslices EndpointSlice"),
        ("events.k8s.io", "events Event"),
        ("flowcontrol.apiserver.k8s.io", "flowschemas FlowSchema, prioritylevelconfigurations PriorityLevelConfiguration"),
        ("networking.k8s.io", "ingressclasses IngressClass, ingresses Ingress, networkpolicies NetworkPolicy"),
        ("node.k8s.io", "runtimeclasses RuntimeClass"),
        ("policy", "poddisruptionbudgets PodDisruptionBudget"),
        ("rbac.authorization.k8s.io", "clusterrolebindings ClusterRoleBinding, clusterroles ClusterRole, rolebindings RoleBinding, roles Role"),
        ("scheduling.k8s.io", "priorityclasses PriorityClass"),
        ("storage.k8s.io", "csidrivers CSIDriver, csinodes CSINode, csistoragecapacities CSIStorageCapacity, storageclasses StorageClass, "
            + "volumeattachments VolumeAttachment"),
    }
    .SelectMany(g => g.Kinds.Split(", ").Select(pair => pair.Split(' ')).Select(pair => KeyValuePair.Create((g.Group, pair[0]), pair[1])))
    .ToFrozenDictionary();

    /// <summary>The kind of <paramref name="resource"/> (a plural) in <paramref name="group"/> ("" the core group), or null when unknown.</summary>
    public static string? KindOf(string group, string resource) => Kinds.GetValueOrDefault((group, resource));
}
