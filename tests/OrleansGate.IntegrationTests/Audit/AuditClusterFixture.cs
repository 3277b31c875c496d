using System.Security.Cryptography;
using Npgsql;
using OrleansGate.Audit.Signing;
using OrleansGate.Audit.Verify;
using OrleansGate.Host.Commands;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.IntegrationTests.Infrastructure;

namespace OrleansGate.IntegrationTests.Audit;

/// <summary>
/// A gateway node whose audit store is a PostgreSQL of its own (OrleansGate:Audit:ConnectionString), so a test
/// can stop the audit store without disturbing membership; records signed with a key of its own. The audit store is
/// set up as in production (docs/audit.md, "Privileges"): its owner applies the audit schema with
/// <c>orleansgate schema apply --audit-store</c>, and the nodes write as a runtime role that may only append and read.
/// </summary>
public sealed class AuditClusterFixture : IAsyncLifetime
{
    public TempPostgres Postgres { get; private set; } = null!;

    public TempPostgres AuditStore { get; private set; } = null!;

    public GatewayNode Node { get; private set; } = null!;

    public GatewaySettings Settings { get; private set; } = null!;

    /// <summary>The runtime role's connection string, as the nodes use it: it may append to and read the audit tables only.</summary>
    public string AuditConnectionString { get; private set; } = "";

    /// <summary>The audit store's schema owner (not a superuser): it owns the audit tables, so it could disable their triggers.</summary>
    public string AuditOwnerConnectionString { get; private set; } = "";

    public string KeyPath { get; private set; } = "";

    public string PublicKeyPath { get; private set; } = "";

    public string CheckpointFile { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Postgres = await TempPostgres.StartAsync();
        AuditStore = await TempPostgres.StartAsync();
        var statePassword = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var targetPassword = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        await Postgres.CreateRoleAsync("orleansgate", statePassword);
        await Postgres.ExecuteAsync("postgres", "CREATE DATABASE orleansgate_state OWNER orleansgate");
        await Postgres.CreateRoleAsync("gateway_demo", targetPassword);
        await Postgres.CreateDatabaseAsync("demo");
        await Postgres.ExecuteAsync("demo", "CREATE TABLE customers (id int PRIMARY KEY, name text); GRANT SELECT ON customers TO gateway_demo");
        var audit = await TwoRoleDatabase.CreateAsync(AuditStore, "audit", "orleansgate_audit_owner", "orleansgate_audit");
        AuditConnectionString = audit.RuntimeConnectionString;
        AuditOwnerConnectionString = audit.OwnerConnectionString;
        using (var output = new StringWriter())
        {
            var applied = await CommandLine.RunAsync(
                ["schema", "apply", "--audit-store", "--owner-connection-string-file", audit.WriteOwnerConnectionFile(), "--runtime-role", audit.RuntimeRole],
                output,
                output,
                CancellationToken.None);
            if (applied != 0)
            {
                throw new InvalidOperationException($"schema apply on the audit store exited {applied}: {output}");
            }
        }

        var folder = Directory.CreateTempSubdirectory("orleansgate-audit-").FullName;
        (KeyPath, PublicKeyPath) = TestAuditKeys.Create("audit");
        CheckpointFile = Path.Combine(folder, "checkpoints.jsonl");
        Settings = new GatewaySettings
        {
            StateConnectionString = Postgres.ConnectionString("orleansgate_state", "orleansgate", statePassword),
            TargetPort = Postgres.Port,
            TargetPassword = targetPassword,
            Overrides = AuditOverrides(),
        };
        Node = await GatewayNode.StartAsync(Settings);
    }

    /// <summary>The audit settings every node of these tests runs with.</summary>
    public Dictionary<string, string?> AuditOverrides() => new()
    {
        ["OrleansGate:Audit:ConnectionString"] = AuditConnectionString,
        ["OrleansGate:Audit:SigningKeyPath"] = KeyPath,
        ["OrleansGate:Audit:CheckpointFile"] = CheckpointFile,
    };

    public async Task<AuditVerifyReport> VerifyAsync()
    {
        await using var source = NpgsqlDataSource.Create(AuditConnectionString);
        return await new AuditVerifier(source).VerifyAsync(AuditKeys.LoadTrusted(PublicKeyPath), [CheckpointFile], CancellationToken.None);
    }

    /// <summary>For a failed verify: each writer's signature numbers in the database and in the checkpoint file.</summary>
    public async Task<string> DescribeSignaturesAsync()
    {
        await using var source = NpgsqlDataSource.Create(AuditConnectionString);
        var stored = await AuditSignatureReader.ReadAllAsync(source, null, CancellationToken.None);
        var lines = File.Exists(CheckpointFile)
            ? File.ReadAllLines(CheckpointFile).Select(l => System.Text.Json.JsonSerializer.Deserialize(l, OrleansGate.Audit.AuditJson.Default.AuditSignature)!).ToList()
            : [];
        static string Numbers(IEnumerable<AuditSignature> s) => string.Join(",", s.Select(x => $"{x.Number}:{x.Kind}@{x.WriterSeq}/{x.At:HH:mm:ss.ffffff}"));
        return string.Join("\n", stored.Concat(lines).Select(s => s.Writer).Distinct().Select(w =>
            $"{w}: database [{Numbers(stored.Where(s => s.Writer == w))}] file [{Numbers(lines.Where(s => s.Writer == w))}]"));
    }

    /// <summary>Per normalised text: how many Statement records hold it, and under how many (session, policy version) decisions.</summary>
    public async Task<Dictionary<string, (int Records, int Distinct)>> StatementDecisionsAsync()
    {
        await using var connection = new NpgsqlConnection(AuditConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT statement_normalized, count(*), count(DISTINCT (session_id, policy_version)) FROM orleansgate_audit WHERE kind = 'Statement' GROUP BY 1", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var counts = new Dictionary<string, (int, int)>(StringComparer.Ordinal);
        while (await reader.ReadAsync())
        {
            counts[reader.GetString(0)] = ((int)reader.GetInt64(1), (int)reader.GetInt64(2));
        }

        return counts;
    }

    /// <summary>How many Statement records hold exactly this normalised text.</summary>
    public async Task<Dictionary<string, int>> StatementCountsAsync()
    {
        await using var connection = new NpgsqlConnection(AuditConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT statement_normalized, count(*) FROM orleansgate_audit WHERE kind = 'Statement' GROUP BY 1", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        while (await reader.ReadAsync())
        {
            counts[reader.GetString(0)] = (int)reader.GetInt64(1);
        }

        return counts;
    }

    public async Task DisposeAsync()
    {
        if (Node is not null)
        {
            await Node.DisposeAsync();
        }

        if (AuditStore is not null)
        {
            await AuditStore.DisposeAsync();
        }

        if (Postgres is not null)
        {
            await Postgres.DisposeAsync();
        }
    }
}
