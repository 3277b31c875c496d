using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using OrleansGate.Edge.Targets;
using OrleansGate.Grains;
using OrleansGate.Grains.Policy;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.IntegrationTests.Infrastructure;
using OrleansGate.Model;

namespace OrleansGate.IntegrationTests.Policy;

/// <summary>
/// One real PostgreSQL and a two-silo cluster (two nodes of role all) that start under a read-only policy.
/// Tests that change the policy put <see cref="ReadOnlyPolicy"/> back before they end.
/// </summary>
public sealed class PolicyFixture : IAsyncLifetime
{
    /// <summary>Pure reads for the test agents' group; everything else denied (the policy unit tests' read-only policy).</summary>
    public const string ReadOnlyPolicy = """
        version: tests-read-only
        rules:
          - name: developers-read
            effect: allow
            reason: developers may read
            match:
              groups: [developers]
              kinds: [read]
        """;

    /// <summary>Reads plus transaction and session control (BEGIN, DEALLOCATE, SET): still no writes.</summary>
    public const string ReadAndSessionControlPolicy = """
        version: tests-read-session
        rules:
          - name: developers-read
            effect: allow
            reason: developers may read
            match:
              groups: [developers]
              kinds: [read, transaction, session]
        """;

    /// <summary>Read-only plus bounded writes to orders: what a policy change takes away.</summary>
    public const string OrdersWritePolicy = """
        version: tests-orders-write
        guardrails:
          unbounded_write: deny
        rules:
          - name: developers-read
            effect: allow
            reason: developers may read
            match:
              groups: [developers]
              kinds: [read, transaction, session]
          - name: developers-write-orders
            effect: allow
            reason: developers may change orders
            match:
              groups: [developers]
              kinds: [read, write]
              relations: [orders]
        """;

    /// <summary>A custom claim the development IdP puts in the test agents' tokens, for <c>claims:</c> rules.</summary>
    public const string TeamClaim = "team";

    public const string AgentTeam = "payments";

    public const string OtherTeam = "analytics";

    /// <summary>A target whose database does not exist on the PostgreSQL it names.</summary>
    public const string MissingDatabaseTarget = "missing";

    public TempPostgres Postgres { get; private set; } = null!;

    public GatewayNode Node { get; private set; } = null!;

    public GatewayNode OtherNode { get; private set; } = null!;

    public string PolicyFile { get; } = GatewaySettings.WritePolicyFile(ReadOnlyPolicy);

    public string TargetConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Postgres = await TempPostgres.StartAsync();
        var statePassword = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var targetPassword = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        await Postgres.CreateRoleAsync("orleansgate", statePassword);
        await Postgres.ExecuteAsync("postgres", "CREATE DATABASE orleansgate_state OWNER orleansgate");
        await Postgres.CreateRoleAsync("gateway_demo", targetPassword);
        await Postgres.CreateDatabaseAsync("demo");
        await Postgres.ExecuteAsync("demo", await File.ReadAllTextAsync(Path.Combine(RepoRoot(), "deploy", "local", "demo-target.sql")));
        TargetConnectionString = Postgres.ConnectionString("demo", "gateway_demo", targetPassword);

        var settings = new GatewaySettings
        {
            StateConnectionString = Postgres.ConnectionString("orleansgate_state", "orleansgate", statePassword),
            TargetPort = Postgres.Port,
            TargetPassword = targetPassword,
            PolicyFile = PolicyFile,
            ClientClaims = new Dictionary<string, IReadOnlyDictionary<string, string>>
            {
                [GatewaySettings.AgentClientId] = new Dictionary<string, string> { [TeamClaim] = AgentTeam },
                [GatewaySettings.OtherClientId] = new Dictionary<string, string> { [TeamClaim] = OtherTeam },
            },
            Overrides = new Dictionary<string, string?>
            {
                ["OrleansGate:Policy:Watch"] = "true",

                // A configured target whose database does not exist: the upstream login fails after the session opened.
                [$"OrleansGate:Targets:{MissingDatabaseTarget}:Host"] = "127.0.0.1",
                [$"OrleansGate:Targets:{MissingDatabaseTarget}:Port"] = Postgres.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                [$"OrleansGate:Targets:{MissingDatabaseTarget}:Database"] = "no_such_database",
                [$"OrleansGate:Targets:{MissingDatabaseTarget}:Username"] = "gateway_demo",
                [$"OrleansGate:Targets:{MissingDatabaseTarget}:Password"] = targetPassword,
            },
        };
        Node = await GatewayNode.StartAsync(settings);
        OtherNode = await GatewayNode.StartAsync(settings.OtherNode("test-node-2"));
    }

    public IPolicyGrain PolicyGrain => Node.Services.GetRequiredService<IGrainFactory>().GetGrain<IPolicyGrain>(IPolicyGrain.Key);

    public async Task<PolicyApplyResult> ApplyAsync(string yaml)
    {
        var result = await PolicyGrain.Apply(yaml, "test");
        Assert.True(result.Outcome is PolicyApplyOutcome.Applied or PolicyApplyOutcome.Unchanged, $"policy not applied: {result.Outcome}: {result.Error}");

        // Apply returns once every subscriber took the version; one that could not (a push timed out under load) is
        // dropped and catches up at its next check. The tests decide on both silos and log in through both edges, so
        // they wait for both (the silo's policy cache, and the edge's targets from the policy), bounded.
        var waiting = System.Diagnostics.Stopwatch.StartNew();
        foreach (var node in new[] { Node, OtherNode })
        {
            var cache = node.Services.GetRequiredService<PolicyCache>();
            var targets = node.Services.GetRequiredService<TargetCatalog>();
            while (cache.Version < result.Version || targets.PolicyVersion < result.Version)
            {
                Assert.True(
                    waiting.Elapsed < TimeSpan.FromSeconds(30),
                    $"{node.Settings.NodeName} still decides with policy version {cache.Version} and uses the targets of version {targets.PolicyVersion} 30 s after version {result.Version} was applied ({result.SubscribersNotified} subscribers notified, {result.SubscribersFailed} failed)");
                await Task.Yield();
            }
        }

        return result;
    }

    public async Task DisposeAsync()
    {
        if (OtherNode is not null)
        {
            await OtherNode.DisposeAsync();
        }

        if (Node is not null)
        {
            await Node.DisposeAsync();
        }

        if (Postgres is not null)
        {
            await Postgres.DisposeAsync();
        }
    }

    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "OrleansGate.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }
}
