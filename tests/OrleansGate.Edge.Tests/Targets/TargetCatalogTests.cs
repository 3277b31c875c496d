using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OrleansGate.Edge.Targets;
using OrleansGate.Policy.Loading;

namespace OrleansGate.Edge.Tests.Targets;

public sealed class TargetCatalogTests
{
    private const string PolicyWithTargets = """
        targets:
          demo:
            host: policy-host
            port: 6000
            database: policy_db
            username: policy_user
            password_env: ORLEANSGATE_TEST_UNSET_VARIABLE_5D1E
          reports:
            host: reports-host
            database: reports
            username: reporter
        rules: []
        """;

    [Fact]
    public void Configured_targets_resolve_when_the_policy_defines_none()
    {
        var catalog = Catalog();

        Assert.True(catalog.TryGet("demo", out var target));
        Assert.Equal(("config-host", "config_db"), (target.Options.Host, target.Options.Database));
        Assert.False(catalog.TryGet("reports", out _));
        Assert.False(catalog.TryGet("", out _));
        Assert.Equal(0, catalog.PolicyVersion);
    }

    [Fact]
    public void A_policy_target_is_resolved_before_a_configured_one_of_the_same_name()
    {
        var catalog = Catalog();

        Assert.True(catalog.PublishPolicyTargets(3, PolicyLoader.Load(PolicyWithTargets, "p.yaml").Targets));

        Assert.True(catalog.TryGet("demo", out var demo));
        Assert.Equal(("policy-host", 6000, "policy_db", "policy_user"), (demo.Options.Host, demo.Options.Port, demo.Options.Database, demo.Options.Username));
        Assert.Null(demo.Options.Password);
        Assert.True(catalog.TryGet("reports", out var reports));
        Assert.Null(reports.ReadPassword()); // no reference: trust authentication, as a configured target without one
        Assert.True(catalog.TryGet("other", out var other));
        Assert.Equal("config-host", other.Options.Host);
        Assert.Equal(3, catalog.PolicyVersion);
    }

    [Fact]
    public void An_older_version_never_replaces_a_newer_one_and_a_newer_one_without_targets_removes_them()
    {
        var catalog = Catalog();
        var withTargets = PolicyLoader.Load(PolicyWithTargets, "p.yaml").Targets;
        var without = PolicyLoader.Load("rules: []\n", "p.yaml").Targets;

        Assert.True(catalog.PublishPolicyTargets(5, withTargets));
        Assert.False(catalog.PublishPolicyTargets(4, without));
        Assert.False(catalog.PublishPolicyTargets(5, without));
        Assert.True(catalog.TryGet("reports", out _));

        Assert.True(catalog.PublishPolicyTargets(6, without));
        Assert.False(catalog.TryGet("reports", out _));
        Assert.True(catalog.TryGet("demo", out var demo));
        Assert.Equal("config-host", demo.Options.Host);
    }

    [Fact]
    public void A_policy_target_reads_its_password_from_the_reference_and_a_missing_one_is_named_not_guessed()
    {
        var catalog = Catalog();
        var variable = "ORLEANSGATE_TEST_POLICY_PASSWORD_" + Guid.NewGuid().ToString("N");
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "from-file-value\n");
            Environment.SetEnvironmentVariable(variable, "from-env-value");
            var policy = PolicyLoader.Load(
                $"targets:\n  e: {{ host: h, database: d, username: u, password_env: {variable} }}\n  f: {{ host: h, database: d, username: u, password_file: '{file}' }}\n  missing: {{ host: h, database: d, username: u, password_env: {variable}_UNSET }}\nrules: []\n",
                "p.yaml");
            catalog.PublishPolicyTargets(1, policy.Targets);

            Assert.True(catalog.TryGet("e", out var e));
            Assert.True(catalog.TryGet("f", out var f));
            Assert.True(catalog.TryGet("missing", out var missing));
            Assert.True(e.ReadPassword() == "from-env-value", "the environment reference was not read");
            Assert.True(f.ReadPassword() == "from-file-value", "the file reference was not read");
            var error = Assert.Throws<InvalidOperationException>(() => missing.ReadPassword());
            Assert.Contains($"{variable}_UNSET is not set", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
            File.Delete(file);
        }
    }

    private static TargetCatalog Catalog()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Targets:demo:Host"] = "config-host",
            ["Targets:demo:Database"] = "config_db",
            ["Targets:demo:Username"] = "u",
            ["Targets:other:Host"] = "config-host",
            ["Targets:other:Database"] = "other_db",
            ["Targets:other:Username"] = "u",
        }).Build();
        var services = new ServiceCollection();
        services.Configure<Dictionary<string, TargetOptions>>(configuration.GetSection("Targets"));
        services.AddSingleton<TargetCatalog>();
        return services.BuildServiceProvider().GetRequiredService<TargetCatalog>();
    }
}
