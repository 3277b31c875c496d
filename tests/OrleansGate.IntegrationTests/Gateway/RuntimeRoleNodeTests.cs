using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Npgsql;
using OrleansGate.Host.Commands;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.IntegrationTests.Infrastructure;

namespace OrleansGate.IntegrationTests.Gateway;

/// <summary>
/// A real node whose state database was set up with two roles (docs/audit.md, "Privileges"): the owner applied the
/// schema with <c>orleansgate schema apply</c>, the node logs in as the runtime role.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class RuntimeRoleNodeTests(PostgresFixture fixture)
{
    private const string SchemaInstallerCategory = "OrleansGate.Grains.Storage.SchemaInstaller";

    [Fact]
    public async Task Node_running_as_the_runtime_role_on_a_schema_applied_by_the_owner_starts_audits_and_logs_no_privilege_warning()
    {
        var db = await TwoRoleDatabase.CreateAsync(fixture.Postgres, "node_runtime");
        await ApplyAsync(db);
        var settings = await SettingsAsync(db.RuntimeConnectionString, "node_runtime");

        await using (var node = await GatewayNode.StartAsync(settings, captureStartLog: true))
        {
            var token = await node.GetTokenAsync();
            await using (var connection = new NpgsqlConnection(node.ConnectionString(token)))
            {
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand("SELECT 42 AS runtime_role_probe", connection);
                Assert.Equal(42, (int)(await command.ExecuteScalarAsync())!);
            }

            await node.StopAsync();
            Assert.DoesNotContain(CapturedLog.Of(node).Since(0), e => e.Category == SchemaInstallerCategory && e.Level >= LogLevel.Warning);
        }

        // Written by the runtime role: the statement's record (before its result arrived) and, at the clean stop, the writers' end signatures.
        var statements = await TwoRoleDatabase.QueryAsync<long>(
            db.OwnerConnectionString, "SELECT count(*) FROM orleansgate_audit WHERE kind = 'Statement' AND statement_normalized = 'SELECT $1 AS runtime_role_probe'");
        Assert.Equal(1, statements.Single());
        Assert.True((await TwoRoleDatabase.QueryAsync<long>(db.OwnerConnectionString, "SELECT count(*) FROM orleansgate_audit_signature WHERE kind = 'end'")).Single() > 0);
        var ownedByRuntime = await TwoRoleDatabase.QueryAsync<string>(
            db.OwnerConnectionString, $"SELECT relname::text FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = '{db.RuntimeRole}')");
        Assert.Empty(ownedByRuntime);
    }

    [Fact]
    public async Task Node_running_as_a_runtime_role_on_a_missing_schema_refuses_to_start_with_the_schema_apply_instruction()
    {
        var db = await TwoRoleDatabase.CreateAsync(fixture.Postgres, "node_missing");
        var settings = await SettingsAsync(db.RuntimeConnectionString, "node_missing");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => GatewayNode.StartAsync(settings));

        Assert.Equal(
            $"The schema on database '{db.Database}' at 127.0.0.1:{fixture.Postgres.Port} as '{db.RuntimeRole}' is missing (no orleansgate_schema_version table), " +
            $"and role '{db.RuntimeRole}' may not change it (42501: permission denied for schema public). " +
            $"As the schema owner, run: orleansgate schema apply --owner-connection-string-file FILE --runtime-role {db.RuntimeRole} " +
            "(docs/audit.md, \"Privileges\"), then start the node again.",
            error.Message);
        Assert.DoesNotContain(db.RuntimePassword, error.ToString(), StringComparison.Ordinal);
        Assert.Empty(await TwoRoleDatabase.QueryAsync<string>(db.OwnerConnectionString, "SELECT relname::text FROM pg_class WHERE relname LIKE 'orleans%'"));
    }

    [Fact]
    public async Task Node_running_as_the_owner_of_the_audit_tables_starts_and_logs_one_warning_that_it_can_disable_their_triggers()
    {
        var db = await TwoRoleDatabase.CreateAsync(fixture.Postgres, "node_single");
        var settings = await SettingsAsync(db.OwnerConnectionString, "node_single");

        await using var node = await GatewayNode.StartAsync(settings, captureStartLog: true);

        var warning = Assert.Single(CapturedLog.Of(node).Since(0), e => e.Category == SchemaInstallerCategory && e.Level >= LogLevel.Warning);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.StartsWith(
            $"The gateway's database role {db.OwnerRole} can alter the audit tables (orleansgate_audit, orleansgate_audit_signature; it owns them), so it can disable their triggers",
            warning.Message,
            StringComparison.Ordinal);
    }

    private static async Task ApplyAsync(TwoRoleDatabase db)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await CommandLine.RunAsync(
            ["schema", "apply", "--owner-connection-string-file", db.WriteOwnerConnectionFile(), "--runtime-role", db.RuntimeRole], stdout, stderr, CancellationToken.None);
        Assert.Equal(0, code);
    }

    /// <summary>A node on <paramref name="stateConnectionString"/> with a target of its own in the same server and signed checkpoints.</summary>
    private async Task<GatewaySettings> SettingsAsync(string stateConnectionString, string prefix)
    {
        var targetDatabase = await fixture.CreateDatabaseAsync(prefix + "_target");
        var targetRole = targetDatabase + "_gw";
        var targetPassword = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        await fixture.Postgres.CreateRoleAsync(targetRole, targetPassword);
        var folder = Directory.CreateTempSubdirectory("orleansgate-audit-").FullName;
        return new GatewaySettings
        {
            StateConnectionString = stateConnectionString,
            TargetPort = fixture.Postgres.Port,
            TargetPassword = targetPassword,
            Overrides = new Dictionary<string, string?>
            {
                ["OrleansGate:Targets:demo:Database"] = targetDatabase,
                ["OrleansGate:Targets:demo:Username"] = targetRole,
                ["OrleansGate:Audit:CheckpointFile"] = Path.Combine(folder, "checkpoints.jsonl"),
            },
        };
    }
}
