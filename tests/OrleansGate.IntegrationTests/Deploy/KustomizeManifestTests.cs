using Microsoft.Extensions.Configuration;
using OrleansGate.Host.Hosting;
using OrleansGate.Policy.Loading;
using static OrleansGate.IntegrationTests.Deploy.RenderedManifests;

namespace OrleansGate.IntegrationTests.Deploy;

/// <summary>
/// deploy/kubernetes/base rendered by the real <c>kubectl kustomize</c> and checked against the node's code: the keys it
/// sets are ones the options classes bind, the probes and ports are the node's, the files it names are mounted.
/// </summary>
public sealed class KustomizeManifestTests
{
    private const string Base = "deploy/kubernetes/base";

    /// <summary>The Secrets the base refers to by name (docs/deploy.md says how to create each); it defines none.</summary>
    private static readonly string[] ReferencedSecrets =
        ["orleansgate-state-db", "orleansgate-schema-owner", "orleansgate-audit-signing", "orleansgate-targets", "orleansgate-tls", "orleansgate-mask-keys"];

    [Fact]
    public async Task Base_renders_silos_edges_services_budgets_rbac_and_configmaps()
    {
        var m = await RenderAsync(Base);
        var expected = new[]
        {
            "ServiceAccount/orleansgate-silo", "ServiceAccount/orleansgate-edge", "Role/orleansgate-silo", "RoleBinding/orleansgate-silo",
            "StatefulSet/orleansgate-silo", "Deployment/orleansgate-edge", "Service/orleansgate", "Service/orleansgate-silo",
            "PodDisruptionBudget/orleansgate-silo", "PodDisruptionBudget/orleansgate-edge", "Job/orleansgate-schema",
            "ConfigMap/orleansgate-policy", "ConfigMap/orleansgate-config",
        };
        var rendered = m.Objects.Select(o => Str(o, "kind") + "/" + GeneratedBaseName(o)).Order().ToList();
        Assert.Equal(expected.Order().ToList(), rendered);
        Assert.Equal("silo", Str(PodLabels(m.Single("StatefulSet", "orleansgate-silo")), "app.kubernetes.io/component"));
        Assert.Equal("edge", Str(PodLabels(m.Single("Deployment", "orleansgate-edge")), "app.kubernetes.io/component"));
    }

    [Fact]
    public async Task Silos_run_with_orleans_kubernetes_hosting_and_the_rights_it_needs()
    {
        var m = await RenderAsync(Base);
        var silo = m.Single("StatefulSet", "orleansgate-silo");
        var container = Assert.Single(Containers(silo));
        Assert.Equal(["--config", "/etc/orleansgate/config/orleansgate.json", "run", "--role", "silo"], List(container, "args").Cast<string>());
        var env = Env(container);
        Assert.Equal("true", env["ORLEANSGATE__OrleansGate__Cluster__Kubernetes"]);

        // What UseKubernetesHosting reads: every variable from the downward API, the Orleans ids from the pod's labels,
        // and those ids equal to the cluster section that edges use. The node's own check passes on what the pod gets.
        var labels = PodLabels(silo);
        var cluster = NodeConfig(m).GetSection("OrleansGate:Cluster").Get<GatewayClusterOptions>()!;
        cluster.Kubernetes = true;
        var podEnvironment = new Dictionary<string, string?>
        {
            ["POD_NAME"] = "orleansgate-silo-0",
            ["POD_NAMESPACE"] = "default",
            ["POD_IP"] = "10.0.0.7",
        };
        foreach (var name in GatewayClusterOptions.KubernetesEnvironment)
        {
            Assert.True(env.ContainsKey(name), $"the silo pod does not set {name}");
            var fieldPath = Str(Map(Map(Env(container, raw: true)[name], "valueFrom"), "fieldRef"), "fieldPath")!;
            if (fieldPath.StartsWith("metadata.labels['", StringComparison.Ordinal))
            {
                podEnvironment[name] = Str(labels, fieldPath["metadata.labels['".Length..^2]);
            }
        }

        Assert.Null(cluster.KubernetesProblem(n => podEnvironment.GetValueOrDefault(n)));
        Assert.Contains("ORLEANS_SERVICE_ID", cluster.KubernetesProblem(n => n == "ORLEANS_SERVICE_ID" ? null : podEnvironment.GetValueOrDefault(n)));

        // The pods run under the account the Role is bound to, which may watch and delete pods.
        Assert.Equal("orleansgate-silo", Str(PodSpec(silo), "serviceAccountName"));
        var binding = m.Single("RoleBinding", "orleansgate-silo");
        Assert.Equal("orleansgate-silo", Str(Map(binding, "roleRef"), "name"));
        Assert.Contains(List(binding, "subjects").Cast<Dictionary<string, object?>>(), s => Str(s, "kind") == "ServiceAccount" && Str(s, "name") == "orleansgate-silo");
        var rule = Assert.Single(List(m.Single("Role", "orleansgate-silo"), "rules").Cast<Dictionary<string, object?>>());
        Assert.Equal(["pods"], List(rule, "resources").Cast<string>());
        Assert.Superset(new HashSet<string> { "get", "list", "watch", "delete" }, List(rule, "verbs").Cast<string>().ToHashSet());

        // Edges never call the Kubernetes API.
        Assert.Equal("false", Str(PodSpec(m.Single("Deployment", "orleansgate-edge")), "automountServiceAccountToken"));
    }

    [Fact]
    public async Task Probes_and_ports_are_the_nodes_own()
    {
        var m = await RenderAsync(Base);
        var config = NodeConfig(m);
        var http = config.GetSection("OrleansGate:Http").Get<HttpListenerOptions>()!;
        var postgresPort = config.GetValue<int>("OrleansGate:Postgres:Port");
        Assert.Equal("0.0.0.0", http.Address);

        // The paths the node maps (GatewayHost.Build).
        var host = await File.ReadAllTextAsync(Path.Combine(Policy.PolicyFixture.RepoRoot(), "src/OrleansGate/Hosting/GatewayHost.cs"));
        Assert.Contains("MapGet(\"/readyz\"", host);
        Assert.Contains("MapGet(\"/healthz\"", host);
        foreach (var workload in new[] { m.Single("StatefulSet", "orleansgate-silo"), m.Single("Deployment", "orleansgate-edge") })
        {
            var container = Assert.Single(Containers(workload));
            var ports = List(container, "ports").Cast<Dictionary<string, object?>>().ToDictionary(p => Str(p, "name")!, p => int.Parse(Str(p, "containerPort")!));
            Assert.Equal(http.Port, ports["http"]);
            foreach (var (probe, path) in new[] { ("readinessProbe", "/readyz"), ("livenessProbe", "/healthz") })
            {
                var get = Map(container, probe, "httpGet");
                Assert.Equal(path, Str(get, "path"));
                Assert.Equal(http.Port, ports[Str(get, "port")!]);
            }
        }

        var silo = Assert.Single(Containers(m.Single("StatefulSet", "orleansgate-silo")));
        var cluster = config.GetSection("OrleansGate:Cluster").Get<GatewayClusterOptions>()!;
        var siloPorts = List(silo, "ports").Cast<Dictionary<string, object?>>().ToDictionary(p => Str(p, "name")!, p => int.Parse(Str(p, "containerPort")!));
        Assert.Equal(cluster.SiloPort, siloPorts["silo"]);
        Assert.Equal(cluster.GatewayPort, siloPorts["gateway"]);

        // The LoadBalancer sends PostgreSQL and HTTP to the edges' listeners.
        var edge = m.Single("Deployment", "orleansgate-edge");
        var edgePorts = List(Assert.Single(Containers(edge)), "ports").Cast<Dictionary<string, object?>>().ToDictionary(p => Str(p, "name")!, p => int.Parse(Str(p, "containerPort")!));
        Assert.Equal(postgresPort, edgePorts["postgres"]);
        var lb = m.Single("Service", "orleansgate");
        Assert.Equal("LoadBalancer", Str(Map(lb, "spec"), "type"));
        Assert.True(Selects(Map(lb, "spec", "selector"), PodLabels(edge)), "the LoadBalancer does not select the edge pods");
        Assert.False(Selects(Map(lb, "spec", "selector"), PodLabels(m.Single("StatefulSet", "orleansgate-silo"))), "the LoadBalancer selects silo pods");
        var lbTargets = List(Map(lb, "spec"), "ports").Cast<Dictionary<string, object?>>().Select(p => edgePorts[Str(p, "targetPort")!]).Order();
        Assert.Equal(new[] { postgresPort, http.Port }.Order(), lbTargets);

        // The silos' internal service is the StatefulSet's and selects them.
        var internalService = m.Single("Service", "orleansgate-silo");
        Assert.Equal("orleansgate-silo", Str(Map(m.Single("StatefulSet", "orleansgate-silo"), "spec"), "serviceName"));
        Assert.True(Selects(Map(internalService, "spec", "selector"), PodLabels(m.Single("StatefulSet", "orleansgate-silo"))));
    }

    [Fact]
    public async Task Disruption_budgets_select_the_pods_of_their_workload()
    {
        var m = await RenderAsync(Base);
        foreach (var (pdb, workload) in new[] { ("orleansgate-silo", m.Single("StatefulSet", "orleansgate-silo")), ("orleansgate-edge", m.Single("Deployment", "orleansgate-edge")) })
        {
            var selector = Map(m.Single("PodDisruptionBudget", pdb), "spec", "selector", "matchLabels");
            Assert.True(Selects(selector, PodLabels(workload)), $"PodDisruptionBudget {pdb} does not select {Name(workload)}'s pods");
            var others = m.OfKind("Deployment").Concat(m.OfKind("StatefulSet")).Where(w => w != workload);
            Assert.DoesNotContain(others, w => Selects(selector, PodLabels(w)));
        }
    }

    [Fact]
    public async Task Policy_and_config_come_from_mounted_configmaps_and_every_named_file_is_mounted()
    {
        var m = await RenderAsync(Base);
        var config = NodeConfig(m);

        // The policy in the ConfigMap is a valid policy (the node's own loader).
        var policyMap = m.Single("ConfigMap", "orleansgate-policy");
        var policy = PolicyLoader.Load(Str(Map(policyMap, "data"), "policy.yaml")!, "orleansgate-policy ConfigMap");
        Assert.NotEmpty(policy.Version);

        foreach (var workload in new[] { m.Single("StatefulSet", "orleansgate-silo"), m.Single("Deployment", "orleansgate-edge") })
        {
            var container = Assert.Single(Containers(workload));
            var mounts = Mounts(workload, container);
            Assert.Equal("ConfigMap/" + Name(m.Single("ConfigMap", "orleansgate-config")), MountSource(mounts, "/etc/orleansgate/config/orleansgate.json"));
            var env = Env(container);
            var isSilo = Str(workload, "kind") == "StatefulSet";

            // Every file the node is told to read or write lies in a volume of this pod; the checkpoint in a writable one.
            var files = new Dictionary<string, string?>
            {
                ["TLS certificate"] = isSilo ? null : config["OrleansGate:Postgres:Tls:CertificatePath"],
                ["TLS key"] = isSilo ? null : config["OrleansGate:Postgres:Tls:KeyPath"],
                ["policy"] = isSilo ? config["OrleansGate:Policy:File"] : null,
                ["audit signing key"] = isSilo ? env["ORLEANSGATE__OrleansGate__Audit__SigningKeyPath"]!.Replace("$(POD_NAME)", "orleansgate-silo-0", StringComparison.Ordinal) : null,
                ["trusted audit keys"] = isSilo ? config["OrleansGate:Audit:TrustedKeysPath"] + "/x.pub" : null,
                ["target password"] = config["OrleansGate:Targets:app:PasswordFile"],
            };
            foreach (var (what, file) in files.Where(f => f.Value is not null))
            {
                Assert.True(MountSource(mounts, file!) is not null, $"{Name(workload)}: the {what} {file} is in no mounted volume");
            }

            if (isSilo)
            {
                // Silos apply the policy file (edges get each version pushed from the silos).
                Assert.Equal("ConfigMap/" + Name(policyMap), MountSource(mounts, config["OrleansGate:Policy:File"]!));
                Assert.Equal("Secret/orleansgate-audit-signing", MountSource(mounts, files["audit signing key"]!));
                Assert.Equal("PersistentVolumeClaim/audit-checkpoint", MountSource(mounts, config["OrleansGate:Audit:CheckpointFile"]!));
            }
            else
            {
                Assert.Equal("Secret/orleansgate-tls", MountSource(mounts, files["TLS key"]!));
            }
        }
    }

    [Fact]
    public async Task Secrets_are_referenced_by_name_and_no_secret_value_is_inlined()
    {
        var m = await RenderAsync(Base);
        Assert.Empty(m.OfKind("Secret"));
        var referenced = new HashSet<string>();
        foreach (var workload in m.OfKind("Deployment").Concat(m.OfKind("StatefulSet")).Concat(m.OfKind("Job")))
        {
            foreach (var volume in List(PodSpec(workload), "volumes").Cast<Dictionary<string, object?>>().Where(v => v.ContainsKey("secret")))
            {
                referenced.Add(Str(Map(volume, "secret"), "secretName")!);
            }

            foreach (var env in Containers(workload).SelectMany(c => List(c, "env")).Cast<Dictionary<string, object?>>())
            {
                if (env.TryGetValue("valueFrom", out var from) && from is Dictionary<string, object?> f && f.ContainsKey("secretKeyRef"))
                {
                    referenced.Add(Str(Map(f, "secretKeyRef"), "name")!);
                }
            }
        }

        Assert.Equal(ReferencedSecrets.Order(), referenced.Order());

        // The state database's connection string (it holds a password) only ever comes from its Secret.
        foreach (var container in m.OfKind("Deployment").Concat(m.OfKind("StatefulSet")).Concat(m.OfKind("Job")).SelectMany(Containers))
        {
            var state = Env(container, raw: true)["ORLEANSGATE__OrleansGate__StateDatabase"];
            Assert.False(state.ContainsKey("value"), "the state database connection string is inlined");
            Assert.Equal("orleansgate-state-db", Str(Map(state, "valueFrom", "secretKeyRef"), "name"));
        }

        var config = NodeConfig(m);
        Assert.DoesNotContain(config.AsEnumerable(), kv => kv.Key.EndsWith(":Password", StringComparison.OrdinalIgnoreCase) || kv.Key.EndsWith(":ClientSecret", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain("PRIVATE KEY", m.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("Password=", m.Text, StringComparison.OrdinalIgnoreCase);
        Assert.False(config.GetValue<bool>("OrleansGate:DevIdp:Enabled"), "the development IdP is on");
    }

    [Fact]
    public async Task Pods_run_as_non_root_on_a_read_only_root_with_tmp_and_requests()
    {
        var m = await RenderAsync(Base);
        foreach (var workload in m.OfKind("Deployment").Concat(m.OfKind("StatefulSet")).Concat(m.OfKind("Job")))
        {
            var pod = Map(PodSpec(workload), "securityContext");
            Assert.Equal("true", Str(pod, "runAsNonRoot"));
            Assert.True(int.Parse(Str(pod, "runAsUser")!) > 0, $"{Name(workload)} runs as root");
            foreach (var container in Containers(workload))
            {
                var security = Map(container, "securityContext");
                Assert.Equal("true", Str(security, "readOnlyRootFilesystem"));
                Assert.Equal("false", Str(security, "allowPrivilegeEscalation"));
                Assert.Equal(["ALL"], List(Map(security, "capabilities"), "drop").Cast<string>());
                Assert.Equal("EmptyDir", MountSource(Mounts(workload, container), "/tmp/x")?.Split('/')[0]);
                var requests = Map(container, "resources", "requests");
                Assert.True(requests.ContainsKey("cpu") && requests.ContainsKey("memory"), $"{Name(workload)} has no cpu and memory requests");
            }
        }
    }

    [Fact]
    public async Task Every_key_the_manifests_set_is_one_the_node_reads()
    {
        var m = await RenderAsync(Base);
        var keys = NodeConfig(m).AsEnumerable().Where(kv => kv.Value is not null).Select(kv => kv.Key).ToList();
        var podVariables = GatewayClusterOptions.KubernetesEnvironment.ToHashSet();
        foreach (var container in m.OfKind("Deployment").Concat(m.OfKind("StatefulSet")).Concat(m.OfKind("Job")).SelectMany(Containers))
        {
            foreach (var name in Env(container).Keys)
            {
                if (name.StartsWith("ORLEANSGATE__", StringComparison.Ordinal))
                {
                    keys.Add(NodeConfigurationKeys.FromEnvironmentVariable(name));
                }
                else
                {
                    Assert.True(podVariables.Contains(name), $"{name} is read neither by the node nor by the Orleans Kubernetes hosting");
                }
            }
        }

        Assert.Contains("OrleansGate:Cluster:Kubernetes", keys);
        Assert.Empty(keys.Select(NodeConfigurationKeys.Problem).OfType<string>());

        // The check itself fails on a renamed or misspelt key.
        Assert.NotNull(NodeConfigurationKeys.Problem("OrleansGate:Http:Prot"));
        Assert.NotNull(NodeConfigurationKeys.Problem("OrleansGate:Cluster:Kubernetes:Enabled"));
        Assert.NotNull(NodeConfigurationKeys.Problem("OrleansGate:Audit"));
        Assert.NotNull(NodeConfigurationKeys.Problem("OrleansGate:Targets:app:Passwort"));
    }

    /// <summary>The node's configuration as the pods get it: orleansgate.json from its ConfigMap.</summary>
    private static IConfiguration NodeConfig(RenderedManifests m)
    {
        var json = Str(Map(m.Single("ConfigMap", "orleansgate-config"), "data"), "orleansgate.json")!;
        return new ConfigurationBuilder().AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json))).Build();
    }

    private static string GeneratedBaseName(Dictionary<string, object?> o)
    {
        var name = Name(o);
        return Str(o, "kind") == "ConfigMap" && name.LastIndexOf('-') is > 0 and var dash ? name[..dash] : name;
    }

    /// <summary>Environment variables of a container by name: their plain value (or "" for valueFrom), or the raw entries.</summary>
    private static Dictionary<string, string?> Env(Dictionary<string, object?> container) =>
        List(container, "env").Cast<Dictionary<string, object?>>().ToDictionary(e => Str(e, "name")!, e => (string?)(Str(e, "value") ?? ""));

    private static Dictionary<string, Dictionary<string, object?>> Env(Dictionary<string, object?> container, bool raw) =>
        List(container, "env").Cast<Dictionary<string, object?>>().ToDictionary(e => Str(e, "name")!, e => e);

    /// <summary>Mount path → "Kind/name" of the volume's source (ConfigMap, Secret, PersistentVolumeClaim, EmptyDir).</summary>
    private static Dictionary<string, string> Mounts(Dictionary<string, object?> workload, Dictionary<string, object?> container)
    {
        var volumes = List(PodSpec(workload), "volumes").Cast<Dictionary<string, object?>>().ToDictionary(v => Str(v, "name")!, v =>
            v.ContainsKey("configMap") ? "ConfigMap/" + Str(Map(v, "configMap"), "name")
            : v.ContainsKey("secret") ? "Secret/" + Str(Map(v, "secret"), "secretName")
            : v.ContainsKey("emptyDir") ? "EmptyDir/" + Str(v, "name")
            : "?/" + Str(v, "name"));
        if (Str(workload, "kind") == "StatefulSet")
        {
            foreach (var claim in List(Map(workload, "spec"), "volumeClaimTemplates").Cast<Dictionary<string, object?>>())
            {
                volumes[Name(claim)] = "PersistentVolumeClaim/" + Name(claim);
            }
        }

        return List(container, "volumeMounts").Cast<Dictionary<string, object?>>().ToDictionary(v => Str(v, "mountPath")!, v => volumes[Str(v, "name")!]);
    }

    /// <summary>The source of the volume that holds <paramref name="file"/>, or null when no mount does.</summary>
    private static string? MountSource(Dictionary<string, string> mounts, string file) =>
        mounts.Where(mount => file.StartsWith(mount.Key.TrimEnd('/') + "/", StringComparison.Ordinal)).MaxBy(mount => mount.Key.Length).Value;
}
