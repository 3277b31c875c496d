using OrleansGate.Host.Commands;

namespace OrleansGate.IntegrationTests.Policy;

/// <summary>The offline policy commands, run through the real command line (no cluster, no target).</summary>
public sealed class PolicyCommandTests : IDisposable
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"policy-{Guid.NewGuid():N}.yaml");

    public void Dispose() => File.Delete(_file);

    private static async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await CommandLine.RunAsync(args, stdout, stderr, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Policy_check_reports_file_line_and_problem_with_exit_code_1()
    {
        await File.WriteAllTextAsync(_file, "rules:\n  - name: r\n    efect: deny\n");

        var (code, _, err) = await RunAsync("policy", "check", _file);

        Assert.Equal(1, code);
        Assert.Contains($"{_file}:3: unknown rule key 'efect'", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Policy_check_lists_targets_with_their_credential_reference_never_a_value()
    {
        await File.WriteAllTextAsync(
            _file,
            "targets:\n  reports:\n    host: db.internal\n    port: 6432\n    database: reports\n    username: reporter\n    password_file: /run/secrets/reports\n" +
            "  archive: { host: 10.0.0.5, database: archive, username: archiver, password_env: ARCHIVE_PASSWORD }\nrules: []\n");

        var (code, output, err) = await RunAsync("policy", "check", _file);

        Assert.True(code == 0, err);
        Assert.Contains(", 0 rules, 2 targets", output, StringComparison.Ordinal);
        Assert.Contains("target archive -> 10.0.0.5:5432/archive as archiver, password_env ARCHIVE_PASSWORD", output, StringComparison.Ordinal);
        Assert.Contains("target reports -> db.internal:6432/reports as reporter, password_file /run/secrets/reports", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Policy_check_lists_limits_and_policy_test_prints_the_most_restrictive_per_kind_for_the_identity()
    {
        await File.WriteAllTextAsync(
            _file,
            "rules: []\nlimits:\n  - name: agents\n    match: { groups: [agents] }\n    statements_per_second: 20\n    sessions: 8\n" +
            "  - name: everyone\n    sessions: 2\n    rows_changed: { max: 500, window: 1d }\n");

        var (code, output, err) = await RunAsync("policy", "check", _file);
        var tested = await RunAsync("policy", "test", "--policy", _file, "--subject", "a", "--groups", "agents", "--target", "demo", "--sql", "SELECT 1");
        var other = await RunAsync("policy", "test", "--policy", _file, "--subject", "b", "--target", "demo", "--sql", "SELECT 1");

        Assert.True(code == 0, err);
        Assert.Contains(", 0 masks, 2 limits", output, StringComparison.Ordinal);
        Assert.Contains("limit agents: 20 statements/s, 8 sessions", output, StringComparison.Ordinal);
        Assert.Contains("limit everyone: 2 sessions, rows changed 500 per 1d", output, StringComparison.Ordinal);
        Assert.Contains("limits:   20 statements/s ('agents'), 2 sessions ('everyone'), rows changed 500 per 1d ('everyone')", tested.Out, StringComparison.Ordinal);
        Assert.Contains("limits:   2 sessions ('everyone'), rows changed 500 per 1d ('everyone')", other.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Policy_check_refuses_a_broken_limit_naming_file_and_line()
    {
        await File.WriteAllTextAsync(_file, "rules: []\nlimits:\n  - name: l\n    rows_changed: { max: 10, window: forever }\n");

        var (code, _, err) = await RunAsync("policy", "check", _file);

        Assert.Equal(1, code);
        Assert.Contains($"{_file}:4: 'window' must be a duration such as 90s, 10m, 2h or 1d, from 1s to 7d, not 'forever'", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Policy_check_refuses_an_inline_password_without_echoing_it()
    {
        await File.WriteAllTextAsync(_file, "targets:\n  t:\n    host: h\n    database: d\n    username: u\n    password: s3cret-inline-value\nrules: []\n");

        var (code, output, err) = await RunAsync("policy", "check", _file);

        Assert.Equal(1, code);
        Assert.Contains($"{_file}:6: inline passwords are not accepted in policy files; use password_env or password_file", err, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-inline-value", output + err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Policy_test_names_a_target_the_policy_defines()
    {
        await File.WriteAllTextAsync(_file, "targets:\n  reports: { host: h, database: reports, username: u, password_env: P }\nrules:\n  - name: read\n    effect: allow\n    reason: reads only\n    match: { groups: [agents], targets: [reports], kinds: [read] }\n");

        var defined = await RunAsync("policy", "test", "--policy", _file, "--subject", "a", "--groups", "agents", "--target", "reports", "--sql", "SELECT 1");
        var configured = await RunAsync("policy", "test", "--policy", _file, "--subject", "a", "--groups", "agents", "--target", "demo", "--sql", "SELECT 1");

        Assert.Equal(0, defined.Code);
        Assert.Contains("target:   reports -> h:5432/reports as u, password_env P (defined in the policy)", defined.Out, StringComparison.Ordinal);
        Assert.Equal(2, configured.Code);
        Assert.Contains("target:   demo (not in the policy file", configured.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Policy_test_prints_decision_rule_version_and_classification()
    {
        await File.WriteAllTextAsync(_file, "version: t1\nrules:\n  - name: read\n    effect: allow\n    reason: reads only\n    match: { groups: [agents], kinds: [read] }\n");

        var denied = await RunAsync("policy", "test", "--policy", _file, "--subject", "a", "--groups", "agents", "--target", "demo",
            "--sql", "EXPLAIN ANALYZE DELETE FROM public.orders WHERE id = 1");
        var allowed = await RunAsync("policy", "test", "--policy", _file, "--subject", "a", "--groups", "agents", "--target", "demo",
            "--sql", "SELECT 'DROP TABLE x'");

        Assert.Equal(2, denied.Code);
        Assert.Contains("decision: deny", denied.Out, StringComparison.Ordinal);
        Assert.Contains("rule:     default-deny", denied.Out, StringComparison.Ordinal);
        Assert.Contains("policy:   t1", denied.Out, StringComparison.Ordinal);
        Assert.Contains("writes:   public.orders", denied.Out, StringComparison.Ordinal);
        Assert.Equal(0, allowed.Code);
        Assert.Contains("rule:     read", allowed.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Policy_test_shows_which_result_columns_the_masks_mask_and_why_and_their_refusals()
    {
        await File.WriteAllTextAsync(_file, """
            masks:
              - name: pii
                match: { groups: [agents] }
                columns: [public.customers.email, public.typed.c_*]
                method: redact
                predicates: deny
            rules:
              - { name: r, effect: allow, reason: read, match: { groups: [agents], kinds: [read] } }
            """);

        var masked = await RunAsync("policy", "test", "--policy", _file, "--subject", "a", "--groups", "agents", "--target", "demo",
            "--sql", "SELECT id, email AS e, upper(email) FROM customers");
        Assert.Equal(0, masked.Code);
        Assert.Contains("masks:    pii (redact)", masked.Out, StringComparison.Ordinal);
        Assert.Contains("public.typed.c_* (pii) is a glob: resolved against the target's catalog", masked.Out, StringComparison.Ordinal);
        Assert.Contains("masked:   column 2: mask pii (redact), the masked column itself", masked.Out, StringComparison.Ordinal);
        Assert.Contains("masked:   column 3: mask pii (redact), derived from a masked column", masked.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("column 1:", masked.Out, StringComparison.Ordinal);

        var refused = await RunAsync("policy", "test", "--policy", _file, "--subject", "a", "--groups", "agents", "--target", "demo",
            "--sql", "SELECT id FROM customers WHERE email LIKE 'a%'");
        Assert.Equal(2, refused.Code);
        Assert.Contains("masking:  refused by mask pii: the statement filters, joins, orders or groups on a masked column", refused.Out, StringComparison.Ordinal);

        var other = await RunAsync("policy", "test", "--policy", _file, "--subject", "b", "--groups", "admins", "--target", "demo", "--sql", "SELECT email FROM customers");
        Assert.Contains("masks:    none apply", other.Out, StringComparison.Ordinal);
    }
}
