using OrleansGate.Policy.Loading;
using OrleansGate.Policy.Model;

namespace OrleansGate.Policy.Tests.Http;

public sealed class HttpTargetLoaderTests
{
    private const string Rules = "rules: []\n";

    private static PolicyLoadException LoadFails(string targets) =>
        Assert.Throws<PolicyLoadException>(() => PolicyLoader.Load(targets + Rules, "bad.yaml"));

    [Fact]
    public void Kubernetes_and_http_targets_load_with_their_references_beside_postgres_targets()
    {
        var policy = PolicyLoader.Load(
            """
            targets:
              prod-cluster:
                kind: kubernetes
                url: https://kube.internal:6443
                ca_file: /etc/orleansgate/kube-ca.pem
                token_file: /run/secrets/kube-token
              billing-api:
                url: https://billing.internal/api/
                token_env: BILLING_TOKEN
                kind: http
              edge-cluster:
                kind: kubernetes
                url: https://10.0.0.1
                ca_env: EDGE_CA
                client_certificate_file: /etc/orleansgate/edge.crt
                client_key_file: /etc/orleansgate/edge.key
              reporting:
                host: db.internal
                database: reports
                username: gateway_reports
            rules: []
            """,
            "p.yaml");

        Assert.Equal(["reporting"], policy.Targets.Keys);
        Assert.Equal(3, policy.HttpTargets.Count);
        var cluster = policy.HttpTargets["prod-cluster"];
        Assert.Equal((HttpTargetKind.Kubernetes, "https://kube.internal:6443/", 2), (cluster.Kind, cluster.Url.AbsoluteUri, cluster.Line));
        Assert.Equal(("/etc/orleansgate/kube-ca.pem", "/run/secrets/kube-token"), (cluster.CaFile, cluster.TokenFile));
        Assert.Equal("token_file /run/secrets/kube-token", cluster.CredentialReference);
        Assert.False(cluster.InsecureSkipTlsVerify);
        Assert.Empty(cluster.Warnings);

        var billing = policy.HttpTargets["billing-api"];
        Assert.Equal((HttpTargetKind.Http, "https://billing.internal/api/"), (billing.Kind, billing.Url.AbsoluteUri));
        Assert.Equal("token_env BILLING_TOKEN", billing.CredentialReference);
        Assert.Null(billing.CaFile);

        var edge = policy.HttpTargets["edge-cluster"];
        Assert.Equal(("EDGE_CA", "/etc/orleansgate/edge.crt", "/etc/orleansgate/edge.key"), (edge.CaEnvironmentVariable, edge.ClientCertificateFile, edge.ClientKeyFile));
        Assert.Equal("client_certificate_file /etc/orleansgate/edge.crt, client_key_file /etc/orleansgate/edge.key", edge.CredentialReference);
    }

    [Fact]
    public void A_target_of_kind_postgres_is_read_as_one_without_a_kind()
    {
        var policy = PolicyLoader.Load("targets:\n  db:\n    host: h\n    kind: postgres\n    database: d\n    username: u\n" + Rules, "p.yaml");

        Assert.Equal(("h", "d", "u"), (policy.Targets["db"].Host, policy.Targets["db"].Database, policy.Targets["db"].Username));
        Assert.Empty(policy.HttpTargets);
    }

    [Fact]
    public void Skipping_tls_verification_loads_and_is_named_as_a_warning()
    {
        var policy = PolicyLoader.Load("targets:\n  k:\n    kind: kubernetes\n    url: https://k\n    token_env: T\n    insecure_skip_tls_verify: true\n" + Rules, "p.yaml");

        var target = policy.HttpTargets["k"];
        Assert.True(target.InsecureSkipTlsVerify);
        Assert.Equal(
            ["target 'k' does not verify the server's certificate (insecure_skip_tls_verify): anyone on the path can pose as it and read the gateway's credential and every answer"],
            target.Warnings);
    }

    [Fact]
    public void Plain_http_loads_with_insecure_http_and_is_named_as_a_warning()
    {
        var policy = PolicyLoader.Load("targets:\n  local:\n    kind: kubernetes\n    url: http://127.0.0.1:8001\n    insecure_http: true\n" + Rules, "p.yaml");

        var target = policy.HttpTargets["local"];
        Assert.True(target.InsecureHttp);
        Assert.Equal("no credential", target.CredentialReference);
        Assert.Equal(["target 'local' uses plain http (insecure_http): anyone on the path can read and change its traffic"], target.Warnings);
    }

    [Theory]
    [InlineData("    token: eyJhbGciOi-hunter2\n", 5)]
    [InlineData("    password: hunter2\n", 5)]
    [InlineData("    bearer_token: hunter2\n", 5)]
    [InlineData("    client_key_data: hunter2\n", 5)]
    public void An_inline_credential_is_refused_without_echoing_it(string line, int at)
    {
        var e = LoadFails("targets:\n  k:\n    kind: kubernetes\n    url: https://k\n" + line);

        Assert.Equal($"bad.yaml:{at}: inline credentials are not accepted in policy files; use token_env or token_file (or client_certificate_file and client_key_file)", e.Message);
        Assert.DoesNotContain("hunter2", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://admin:hunter2@kube.internal", "url must not carry credentials (user:password@); use token_env or token_file")]
    [InlineData("https://kube.internal/?token=hunter2", "url must not have a query or a fragment")]
    [InlineData("https://kube.internal/#hunter2", "url must not have a query or a fragment")]
    [InlineData("ftp://hunter2.internal", "url must be an absolute https:// URL with a host")]
    [InlineData("kube.internal/hunter2", "url must be an absolute https:// URL with a host")]
    [InlineData("/var/run/hunter2", "url must be an absolute https:// URL with a host")]
    public void A_bad_url_is_refused_without_echoing_it(string url, string problem)
    {
        var e = LoadFails($"targets:\n  k:\n    kind: kubernetes\n    url: '{url}'\n");

        Assert.Equal($"bad.yaml:4: target 'k': {problem}", e.Message);
        Assert.DoesNotContain("hunter2", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("  k:\n    kind: k8s\n    url: https://k\n", 3, "target 'k': kind must be postgres, kubernetes, http or ssh, not 'k8s'")]
    [InlineData("  k:\n    kind: kubernetes\n    url: https://k\n    host: h\n", 5, "unknown key 'host' for a target of kind kubernetes (expected kind, url, ca_file, ca_env, token_file, token_env, client_certificate_file, client_key_file, insecure_skip_tls_verify, insecure_http)")]
    [InlineData("  k:\n    kind: http\n    url: https://k\n    tokenfile: /t\n", 5, "unknown key 'tokenfile' for a target of kind http (expected kind, url, ca_file, ca_env, token_file, token_env, client_certificate_file, client_key_file, insecure_skip_tls_verify, insecure_http)")]
    [InlineData("  k:\n    host: h\n    database: d\n    username: u\n    url: https://k\n", 6, "unknown target key 'url' (expected kind, host, port, database, username, password_env, password_file)")]
    [InlineData("  k:\n    kind: kubernetes\n    token_env: T\n", 3, "target 'k' needs a 'url'")]
    [InlineData("  k:\n    kind: http\n    url: http://billing\n", 4, "target 'k': url is plain http; use https, or set insecure_http: true to accept that anyone on the path can read and change the traffic")]
    [InlineData("  k:\n    kind: http\n    url: https://billing\n    insecure_http: true\n", 5, "target 'k': insecure_http is only for an http:// url")]
    [InlineData("  k:\n    kind: http\n    url: http://billing\n    insecure_http: true\n    ca_file: /ca.pem\n", 3, "target 'k': ca_file, ca_env, client certificates and insecure_skip_tls_verify are TLS settings, and its url is plain http")]
    [InlineData("  k:\n    kind: http\n    url: http://billing\n    insecure_http: true\n    insecure_skip_tls_verify: true\n", 3, "target 'k': ca_file, ca_env, client certificates and insecure_skip_tls_verify are TLS settings, and its url is plain http")]
    [InlineData("  k:\n    kind: http\n    url: https://b\n    insecure_http: yes\n", 5, "'insecure_http' must be true or false")]
    [InlineData("  k:\n    kind: kubernetes\n    url: https://k\n    token_env: T\n    token_file: /t\n", 3, "target 'k' gives both token_file and token_env; give one")]
    [InlineData("  k:\n    kind: kubernetes\n    url: https://k\n    ca_env: C\n    ca_file: /c\n", 3, "target 'k' gives both ca_file and ca_env; give one")]
    [InlineData("  k:\n    kind: kubernetes\n    url: https://k\n    ca_file: /c\n    insecure_skip_tls_verify: true\n", 3, "target 'k' gives a CA (ca_file) and insecure_skip_tls_verify: true; give one")]
    [InlineData("  k:\n    kind: kubernetes\n    url: https://k\n    client_certificate_file: /c.crt\n", 3, "target 'k' gives client_certificate_file without client_key_file")]
    [InlineData("  k:\n    kind: kubernetes\n    url: https://k\n    client_key_file: /c.key\n", 3, "target 'k' gives client_key_file without client_certificate_file")]
    [InlineData("  k:\n    kind: kubernetes\n    url: https://k\n    token_env: T\n    client_certificate_file: /c.crt\n    client_key_file: /c.key\n", 3, "target 'k' gives both a token (token_env) and a client certificate; give one credential")]
    [InlineData("  k:\n    kind: kubernetes\n    url: https://k\n    token_env: ''\n", 5, "target 'k' has an empty token_env")]
    [InlineData("  k:\n    kind: kubernetes\n    url: https://k\n    ca_file: ' '\n", 5, "target 'k' has an empty ca_file")]
    [InlineData("  k:\n    kind: kubernetes\n    url: [https://k]\n", 4, "'url' must be a single value")]
    [InlineData("  k:\n    kind: [kubernetes]\n    url: https://k\n", 3, "'kind' must be a single value")]
    public void Invalid_http_target_error_names_file_line_and_problem(string target, int line, string problem)
    {
        var e = LoadFails("targets:\n" + target);

        Assert.Equal($"bad.yaml:{line}: {problem}", e.Message);
    }

    [Fact]
    public void A_name_given_to_a_kubernetes_and_an_http_target_is_a_duplicate_key()
    {
        var e = LoadFails("targets:\n  k:\n    kind: kubernetes\n    url: https://k\n  k:\n    kind: http\n    url: https://h\n");

        Assert.Equal(5, e.Line);
        Assert.Contains("Duplicate key", e.Problem, StringComparison.Ordinal);
    }
}
