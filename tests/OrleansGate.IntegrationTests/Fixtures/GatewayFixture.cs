using System.Security.Cryptography;
using OrleansGate.IntegrationTests.Infrastructure;

namespace OrleansGate.IntegrationTests.Fixtures;

/// <summary>
/// One real PostgreSQL (state database + demo target) and one gateway node per test collection.
/// The gateway logs into the target as <c>gateway_demo</c> with SCRAM-SHA-256, as it would in production.
/// </summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    public TempPostgres Postgres { get; private set; } = null!;

    public GatewayNode Node { get; private set; } = null!;

    public GatewaySettings Settings { get; private set; } = null!;

    public string StatePassword { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    public async Task InitializeAsync()
    {
        Postgres = await TempPostgres.StartAsync();
        var targetPassword = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        await Postgres.CreateRoleAsync("orleansgate", StatePassword);
        await Postgres.ExecuteAsync("postgres", "CREATE DATABASE orleansgate_state OWNER orleansgate");
        await Postgres.CreateRoleAsync("gateway_demo", targetPassword);
        await Postgres.CreateDatabaseAsync("demo");
        await Postgres.ExecuteAsync("demo", await File.ReadAllTextAsync(DemoTargetScript()));

        Settings = new GatewaySettings
        {
            StateConnectionString = Postgres.ConnectionString("orleansgate_state", "orleansgate", StatePassword),
            TargetPort = Postgres.Port,
            TargetPassword = targetPassword,
        };
        Node = await GatewayNode.StartAsync(Settings);
    }

    /// <summary>Replaces the node with a new one on the same settings (same state database, keys and ports).</summary>
    public async Task RestartNodeAsync()
    {
        await Node.DisposeAsync();
        Node = await GatewayNode.StartAsync(Settings);
    }

    public async Task DisposeAsync()
    {
        if (Node is not null)
        {
            await Node.DisposeAsync();
        }

        if (Postgres is not null)
        {
            await Postgres.DisposeAsync();
        }
    }

    /// <summary>The same sample tables <c>up.sh</c> creates, so the tests exercise what users get.</summary>
    private static string DemoTargetScript()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "OrleansGate.sln")))
        {
            dir = dir.Parent;
        }

        return Path.Combine(dir?.FullName ?? throw new InvalidOperationException("repository root not found"), "deploy", "local", "demo-target.sql");
    }
}
