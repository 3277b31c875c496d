using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using OrleansGate.Grains.Storage;
using OrleansGate.Host.Hosting;

namespace OrleansGate.Host.Commands;

/// <summary>
/// <c>schema apply</c>: installs the schema as its owner and grants the nodes' runtime role what it needs and no
/// more (docs/audit.md, "Privileges"). The owner's connection string comes from a file of its own, so its password
/// is never on a command line, in a node's configuration or in this command's output.
/// </summary>
public static class SchemaCommand
{
    public static async Task<int> RunAsync(Arguments arguments, Func<IConfiguration> configuration, TextWriter stdout, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(stdout);
        var sub = arguments.TakeCommand();
        if (sub != "apply")
        {
            throw new CommandLineException(sub is null ? "schema needs a subcommand: apply" : $"unknown schema subcommand '{sub}'");
        }

        var ownerFile = arguments.TakeValue("--owner-connection-string-file")
            ?? throw new CommandLineException("schema apply needs --owner-connection-string-file FILE (the schema owner's Npgsql connection string, mode 0600)");
        var runtimeRole = arguments.TakeValue("--runtime-role");
        var scope = arguments.TakeFlag("--audit-store") ? SchemaScope.AuditStore : SchemaScope.State;
        arguments.EnsureEmpty();

        runtimeRole ??= RuntimeRoleFromConfiguration(configuration(), scope);
        var installer = new SchemaInstaller(OwnerConnectionString.Read(ownerFile), NullLogger<SchemaInstaller>.Instance, scope);
        var report = await installer.ApplyAsOwnerAsync(runtimeRole, ct);

        var ran = report.ScriptsRun.Count == 0 ? "no script run" : $"ran {string.Join(", ", report.ScriptsRun.Select(s => $"{s.Script} ({s.Reason})"))}";
        await stdout.WriteLineAsync($"schema applied on {report.Target}: {ran}; {report.ScriptsCurrent} scripts already current");
        await stdout.WriteLineAsync(
            $"runtime role '{report.RuntimeRole}' may append to and read {string.Join(", ", report.AuditRelations)} (no UPDATE, DELETE, TRUNCATE, " +
            "ALTER, DROP or setval), read orleansquery and orleansgate_schema_version, and read and write the other orleansgate_* tables");
        return 0;
    }

    /// <summary>By default the role the nodes' configuration logs in as, for the database being applied.</summary>
    private static string RuntimeRoleFromConfiguration(IConfiguration configuration, SchemaScope scope)
    {
        var gateway = configuration.GetSection(GatewayHost.Section);
        var key = scope == SchemaScope.AuditStore ? "Audit:ConnectionString" : "StateDatabase";
        var connectionString = gateway[key];
        string? user = null;
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            try
            {
                user = new NpgsqlConnectionStringBuilder(connectionString).Username;
            }
            catch (ArgumentException)
            {
                // Not echoed: the string may hold the node's password.
                throw new CommandLineException($"OrleansGate:{key} in the configuration is not a valid connection string");
            }
        }

        return string.IsNullOrWhiteSpace(user)
            ? throw new CommandLineException($"schema apply needs --runtime-role NAME, or a --config whose OrleansGate:{key} names the nodes' user")
            : user;
    }
}
