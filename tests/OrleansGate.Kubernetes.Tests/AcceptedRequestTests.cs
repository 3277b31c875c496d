using static OrleansGate.Kubernetes.Tests.AcceptedRows;

namespace OrleansGate.Kubernetes.Tests;

/// <summary>
/// Requests the parser accepts, with the attributes the API server's RequestInfo gives them
/// (k8s.io/apiserver/pkg/endpoints/request/requestinfo.go and its tests).
/// </summary>
public sealed class AcceptedRequestTests
{
    public static AcceptedRows Rows => new()
    {
        // Core group, namespaced: the method gives the verb; no name makes get a list and delete a deletecollection.
        { "GET", "/api/v1/namespaces/ns/pods", Core("list", "pods", ns: "ns") },
        { "GET", "/api/v1/namespaces/ns/pods/foo", Core("get", "pods", ns: "ns", name: "foo") },
        { "HEAD", "/api/v1/namespaces/ns/pods/foo", Core("get", "pods", ns: "ns", name: "foo") },
        { "HEAD", "/api/v1/pods", Core("list", "pods") },
        { "GET", "/api/v1/pods", Core("list", "pods") },
        { "POST", "/api/v1/namespaces/ns/pods", Core("create", "pods", ns: "ns") },
        { "PUT", "/api/v1/namespaces/ns/pods/foo", Core("update", "pods", ns: "ns", name: "foo") },
        { "PATCH", "/api/v1/namespaces/ns/pods/foo", Core("patch", "pods", ns: "ns", name: "foo") },
        { "DELETE", "/api/v1/namespaces/ns/pods/foo", Core("delete", "pods", ns: "ns", name: "foo") },
        { "DELETE", "/api/v1/namespaces/ns/pods", Core("deletecollection", "pods", ns: "ns") },
        { "DELETE", "/api/v1/nodes", Core("deletecollection", "nodes") },
        { "DELETE", "/api/v1/namespaces", Core("deletecollection", "namespaces") },
        { "GET", "/api/v1/namespaces/ns/configmaps/app.config-1", Core("get", "configmaps", ns: "ns", name: "app.config-1") },
        { "GET", "/api/v1/namespaces/ns/pods/foo..bar", Core("get", "pods", ns: "ns", name: "foo..bar") },

        // Watch, by query (true/1, false/0, any case) and by the legacy path prefix.
        { "GET", "/api/v1/pods?watch=true", Core("watch", "pods") },
        { "GET", "/api/v1/pods?watch=false", Core("list", "pods") },
        { "GET", "/api/v1/namespaces/ns/pods?watch=1", Core("watch", "pods", ns: "ns") },
        { "GET", "/api/v1/namespaces/ns/pods?watch=0", Core("list", "pods", ns: "ns") },
        { "GET", "/api/v1/pods?watch=TRUE&resourceVersion=10", Core("watch", "pods") },
        { "GET", "/api/v1/pods?watch=true&watch=1", Core("watch", "pods") },
        { "GET", "/api/v1/pods?wat%63h=true", Core("watch", "pods") },
        { "GET", "/api/v1/watch/pods", Core("watch", "pods") },
        { "HEAD", "/api/v1/watch/pods", Core("watch", "pods") },
        { "GET", "/api/v1/watch/namespaces/ns/pods", Core("watch", "pods", ns: "ns") },
        { "GET", "/api/v1/watch/namespaces/ns/pods/foo", Core("watch", "pods", ns: "ns", name: "foo") },
        { "GET", "/api/v1/watch/namespaces/ns", Core("watch", "namespaces", ns: "ns", name: "ns") },
        { "GET", "/api/v1/namespaces/ns/pods/foo?watch=true", Core("get", "pods", ns: "ns", name: "foo") },

        // A metadata.name field selector names the object of a list or watch, as the API server reads it.
        { "GET", "/apis/apps/v1/namespaces/ns/deployments?fieldSelector=metadata.name=web", Group("list", "apps/v1", "deployments", ns: "ns", name: "web") },
        { "GET", "/apis/apps/v1/namespaces/ns/deployments?watch=true&fieldSelector=metadata.name%3Dweb", Group("watch", "apps/v1", "deployments", ns: "ns", name: "web") },
        { "GET", "/api/v1/pods?fieldSelector=metadata.name==foo", Core("list", "pods", name: "foo") },
        { "GET", "/api/v1/pods?fieldSelector=status.phase%3DRunning,metadata.name%3Dfoo", Core("list", "pods", name: "foo") },
        { "GET", "/api/v1/pods?fieldSelector=metadata.name=foo&fieldSelector=metadata.name=foo", Core("list", "pods", name: "foo") },
        { "GET", "/api/v1/pods?fieldSelector=metadata.name=a%5C%2Cb", Core("list", "pods", name: "a,b") },
        { "GET", "/api/v1/pods?fieldSelector=metadata.name!=foo", Core("list", "pods") },
        { "GET", "/api/v1/pods?fieldSelector=metadata.name=foo,bar", Core("list", "pods") },
        { "GET", "/api/v1/pods?fieldSelector=metadata.name=a%2Fb", Core("list", "pods") },
        { "GET", "/apis/apps/v1/watch/namespaces/ns/deployments?fieldSelector=metadata.name=web", Group("watch", "apps/v1", "deployments", ns: "ns") },
        { "DELETE", "/api/v1/namespaces/ns/pods?fieldSelector=metadata.name=foo", Core("deletecollection", "pods", ns: "ns") },

        // The namespace object: its namespace is its own name; status and finalize are its subresources.
        { "GET", "/api/v1/namespaces", Core("list", "namespaces") },
        { "POST", "/api/v1/namespaces", Core("create", "namespaces") },
        { "GET", "/api/v1/namespaces/ns", Core("get", "namespaces", ns: "ns", name: "ns") },
        { "DELETE", "/api/v1/namespaces/ns", Core("delete", "namespaces", ns: "ns", name: "ns") },
        { "PUT", "/api/v1/namespaces/ns/finalize", Core("update", "namespaces", ns: "ns", name: "ns", sub: "finalize") },
        { "PUT", "/api/v1/namespaces/ns/status", Core("update", "namespaces", ns: "ns", name: "ns", sub: "status") },

        // Cluster-scoped resources.
        { "GET", "/api/v1/nodes/n1", Core("get", "nodes", name: "n1") },
        { "PATCH", "/api/v1/nodes/n1/status", Core("patch", "nodes", name: "n1", sub: "status") },
        { "GET", "/api/v1/persistentvolumes/pv-1", Core("get", "persistentvolumes", name: "pv-1") },
        { "GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles", Group("list", "rbac.authorization.k8s.io/v1", "clusterroles") },
        { "POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", Group("create", "rbac.authorization.k8s.io/v1", "clusterrolebindings") },
        { "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", Group("create", "authorization.k8s.io/v1", "selfsubjectaccessreviews") },

        // Subresources.
        { "POST", "/api/v1/namespaces/ns/pods/foo/exec?command=ls&container=c&stdout=true", Core("create", "pods", ns: "ns", name: "foo", sub: "exec") },
        { "GET", "/api/v1/namespaces/ns/pods/foo/exec?command=ls", Core("get", "pods", ns: "ns", name: "foo", sub: "exec") },
        { "POST", "/api/v1/namespaces/ns/pods/foo/attach?stdin=true", Core("create", "pods", ns: "ns", name: "foo", sub: "attach") },
        { "GET", "/api/v1/namespaces/ns/pods/foo/portforward?ports=8080", Core("get", "pods", ns: "ns", name: "foo", sub: "portforward") },
        { "POST", "/api/v1/namespaces/ns/pods/foo/portforward", Core("create", "pods", ns: "ns", name: "foo", sub: "portforward") },
        { "GET", "/api/v1/namespaces/ns/pods/foo/log?follow=true&container=c", Core("get", "pods", ns: "ns", name: "foo", sub: "log") },
        { "GET", "/api/v1/namespaces/ns/pods/foo/proxy", Core("get", "pods", ns: "ns", name: "foo", sub: "proxy") },
        { "GET", "/api/v1/namespaces/ns/pods/foo/proxy/metrics/v2", Core("get", "pods", ns: "ns", name: "foo", sub: "proxy") },
        { "POST", "/api/v1/namespaces/ns/services/web:http/proxy/", Core("create", "services", ns: "ns", name: "web:http", sub: "proxy") },
        { "GET", "/api/v1/nodes/n1/proxy/stats/summary", Core("get", "nodes", name: "n1", sub: "proxy") },
        { "PUT", "/apis/apps/v1/namespaces/ns/deployments/web/scale", Group("update", "apps/v1", "deployments", ns: "ns", name: "web", sub: "scale") },
        { "PATCH", "/apis/apps/v1/namespaces/ns/deployments/web/scale", Group("patch", "apps/v1", "deployments", ns: "ns", name: "web", sub: "scale") },
        { "GET", "/apis/apps/v1/namespaces/ns/deployments/web/scale", Group("get", "apps/v1", "deployments", ns: "ns", name: "web", sub: "scale") },
        { "PATCH", "/apis/apps/v1/namespaces/ns/deployments/web/status", Group("patch", "apps/v1", "deployments", ns: "ns", name: "web", sub: "status") },
        { "POST", "/api/v1/namespaces/ns/pods/foo/eviction", Core("create", "pods", ns: "ns", name: "foo", sub: "eviction") },
        { "POST", "/api/v1/namespaces/ns/pods/foo/binding", Core("create", "pods", ns: "ns", name: "foo", sub: "binding") },
        { "POST", "/api/v1/namespaces/ns/serviceaccounts/default/token", Core("create", "serviceaccounts", ns: "ns", name: "default", sub: "token") },

        // Named groups and versions.
        { "GET", "/apis/batch/v1/namespaces/ns/jobs/j1", Group("get", "batch/v1", "jobs", ns: "ns", name: "j1") },
        { "GET", "/apis/apps/v1beta1/namespaces/ns/deployments", Group("list", "apps/v1beta1", "deployments", ns: "ns") },
        { "DELETE", "/apis/networking.k8s.io/v1/namespaces/ns/ingresses/i1", Group("delete", "networking.k8s.io/v1", "ingresses", ns: "ns", name: "i1") },

        // Non-resource requests: the verb is the lowercased method; discovery is non-resource too.
        { "GET", "/", NonResource("get") },
        { "GET", "/version", NonResource("get") },
        { "GET", "/healthz", NonResource("get") },
        { "HEAD", "/healthz", NonResource("head") },
        { "GET", "/livez?verbose", NonResource("get") },
        { "GET", "/healthz/etcd", NonResource("get") },
        { "GET", "/metrics", NonResource("get") },
        { "GET", "/openapi/v2", NonResource("get") },
        { "GET", "/openapi/v3/apis/apps/v1", NonResource("get") },
        { "GET", "/api", NonResource("get") },
        { "GET", "/api/v1", NonResource("get") },
        { "GET", "/api/v1/", NonResource("get") },
        { "GET", "/apis", NonResource("get") },
        { "GET", "/apis/apps", NonResource("get") },
        { "GET", "/apis/apps/v1", NonResource("get") },
        { "GET", "/apis/apps/v1/", NonResource("get") },
        { "OPTIONS", "/version", NonResource("options") },
        { "POST", "/logs/kube-apiserver.log", NonResource("post") },
        { "GET", "/foo/bar/baz", NonResource("get") },
        { "GET", "/apis/version/resource", NonResource("get") },

        // A trailing slash is trimmed for reading and kept in the path, as the API server does.
        { "GET", "/api/v1/namespaces/ns/pods/", Core("list", "pods", ns: "ns") },
        { "GET", "/api/v1/namespaces/ns/pods/foo/", Core("get", "pods", ns: "ns", name: "foo") },

        // Percent-encoding of characters that may stand unencoded is decoded once; the path is the decoded one.
        { "GET", "/api/v1/namespaces/kube%2Dsystem/pods", Core("list", "pods", ns: "kube-system", path: "/api/v1/namespaces/kube-system/pods") },
        { "GET", "/api/v1/namespaces/%6bube-system/secrets/s", Core("get", "secrets", ns: "kube-system", name: "s", path: "/api/v1/namespaces/kube-system/secrets/s") },
        { "GET", "/api/v1/%6Eamespaces/ns/pods", Core("list", "pods", ns: "ns", path: "/api/v1/namespaces/ns/pods") },
        { "GET", "/api/v1/namespaces/ns/services/web%3Ahttps/proxy/", Core("get", "services", ns: "ns", name: "web:https", sub: "proxy", path: "/api/v1/namespaces/ns/services/web:https/proxy/") },
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public void Request_is_accepted_with_the_API_servers_attributes(AcceptedRow row)
    {
        var result = KubernetesRequestParser.Parse(row.Method, row.Target);

        Assert.True(result.IsAccepted, result.Refusal);
        var query = row.Target.IndexOf('?', StringComparison.Ordinal);
        Assert.Equal(row.Expected with { RawPath = query < 0 ? row.Target : row.Target[..query] }, result.Request);
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public void Accepted_path_parses_again_to_the_same_attributes(AcceptedRow row)
    {
        var query = row.Target.IndexOf('?', StringComparison.Ordinal);
        var first = KubernetesRequestParser.Parse(row.Method, row.Target);
        Assert.True(first.IsAccepted, first.Refusal);

        var again = KubernetesRequestParser.Parse(row.Method, first.Request.Path + (query < 0 ? "" : row.Target[query..]));

        Assert.Equal(first.Request with { RawPath = "" }, again.Request! with { RawPath = "" });
    }
}
