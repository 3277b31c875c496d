using OrleansGate.Policy.Loading;

namespace OrleansGate.Policy.Tests;

public sealed class PolicyTargetLoaderTests
{
    private const string Rules = "rules: []\n";

    [Fact]
    public void Targets_are_loaded_with_their_credential_reference()
    {
        var policy = PolicyLoader.Load(
            """
            targets:
              reporting:
                host: db.internal
                port: 6432
                database: reports
                username: gateway_reports
                password_env: REPORTS_PASSWORD
              archive:
                host: 10.0.0.5
                database: archive
                username: gateway_archive
                password_file: /run/secrets/archive
              local:
                host: /var/run/postgresql
                database: scratch
                username: postgres
            rules: []
            """,
            "p.yaml");

        Assert.Equal(3, policy.Targets.Count);
        var reporting = policy.Targets["reporting"];
        Assert.Equal(("db.internal", 6432, "reports", "gateway_reports"), (reporting.Host, reporting.Port, reporting.Database, reporting.Username));
        Assert.Equal("REPORTS_PASSWORD", reporting.PasswordEnvironmentVariable);
        Assert.Null(reporting.PasswordFile);
        Assert.Equal(2, reporting.Line);
        Assert.Equal("password_env REPORTS_PASSWORD", reporting.CredentialReference);

        var archive = policy.Targets["archive"];
        Assert.Equal(5432, archive.Port);
        Assert.Equal("/run/secrets/archive", archive.PasswordFile);
        Assert.Null(archive.PasswordEnvironmentVariable);

        var local = policy.Targets["local"];
        Assert.Null(local.PasswordFile);
        Assert.Null(local.PasswordEnvironmentVariable);
        Assert.Contains("no password", local.CredentialReference, StringComparison.Ordinal);
    }

    [Fact]
    public void A_policy_without_targets_has_none()
    {
        Assert.Empty(PolicyLoader.Load(Rules, "p.yaml").Targets);
        Assert.Empty(PolicyLoader.Load("targets: {}\n" + Rules, "p.yaml").Targets);
    }

    [Fact]
    public void Target_names_are_exact()
    {
        var policy = PolicyLoader.Load("targets:\n  Demo: { host: h, database: d, username: u }\n" + Rules, "p.yaml");

        Assert.True(policy.Targets.ContainsKey("Demo"));
        Assert.False(policy.Targets.ContainsKey("demo"));
    }

    [Theory]
    [InlineData("targets:\n  t:\n    host: h\n    database: d\n    username: u\n    password: hunter2-secret\n", 6, "inline passwords are not accepted in policy files; use password_env or password_file")]
    [InlineData("targets:\n  t:\n    host: h\n    database: d\n    username: u\n    passwd_env: X\n", 6, "unknown target key 'passwd_env'")]
    [InlineData("targets:\n  t:\n    database: d\n    username: u\n", 3, "target 't' needs a 'host'")]
    [InlineData("targets:\n  t:\n    host: h\n    username: u\n", 3, "target 't' needs a 'database'")]
    [InlineData("targets:\n  t:\n    host: h\n    database: d\n", 3, "target 't' needs a 'username'")]
    [InlineData("targets:\n  t:\n    host: h\n    port: 70000\n    database: d\n    username: u\n", 4, "port must be a number from 1 to 65535, not '70000'")]
    [InlineData("targets:\n  t:\n    host: h\n    port: five\n    database: d\n    username: u\n", 4, "port must be a number from 1 to 65535, not 'five'")]
    [InlineData("targets:\n  t:\n    host: h\n    port: -1\n    database: d\n    username: u\n", 4, "port must be a number")]
    [InlineData("targets:\n  t:\n    host: h\n    database: d\n    username: u\n    password_env: A\n    password_file: /b\n", 3, "gives both password_env and password_file")]
    [InlineData("targets:\n  t:\n    host: h\n    database: d\n    username: u\n    password_env: ''\n", 3, "empty password_env")]
    [InlineData("targets:\n  t:\n    host: h\n    database: d\n    username: u\n  t:\n    host: h2\n    database: d\n    username: u\n", 6, "Duplicate key")]
    [InlineData("targets:\n  - t\n", 2, "'targets' must be a mapping")]
    [InlineData("targets:\n  t: db.internal\n", 2, "target 't' must be a mapping")]
    [InlineData("targets:\n  t:\n    host: [a, b]\n    database: d\n    username: u\n", 3, "'host' must be a single value")]
    [InlineData("targets: {}\ntargets: {}\n", 2, "Duplicate key")]
    public void Invalid_target_error_names_file_line_and_problem(string yaml, int line, string problem)
    {
        var e = Assert.Throws<PolicyLoadException>(() => PolicyLoader.Load(yaml + Rules, "bad.yaml"));

        Assert.Equal(line, e.Line);
        Assert.Contains(problem, e.Problem, StringComparison.Ordinal);
        Assert.StartsWith($"bad.yaml:{line}: ", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", e.Message, StringComparison.Ordinal);
    }
}
