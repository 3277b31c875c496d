using System.Security.Cryptography;
using Npgsql;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.IntegrationTests.Infrastructure;
using OrleansGate.IntegrationTests.Policy;

namespace OrleansGate.IntegrationTests.Masking;

/// <summary>
/// One real PostgreSQL with customers whose email and card are masked for <see cref="GatewaySettings.AgentClientId"/>
/// (redact, derived: mask, predicates: deny), two contact tables masked by keyed hash (predicates: allow), and a notes
/// table read by <see cref="GatewaySettings.OtherClientId"/> through detectors only; one gateway node of role all.
/// </summary>
public sealed class MaskingFixture : IAsyncLifetime
{
    public const string KeyVariable = "ORLEANSGATE_TEST_MASK_KEY";

    public const string Policy = $$"""
        version: tests-masking
        masks:
          - name: pii
            match: { subjects: [{{GatewaySettings.AgentClientId}}] }
            columns: [public.customers.email, public.customers.card]
            method: redact
            derived: mask
            predicates: deny
          - name: contact-hash
            match: { subjects: [{{GatewaySettings.AgentClientId}}] }
            columns: [public.leads.email, public.subscribers.email]
            method: hash
            key_env: {{KeyVariable}}
            predicates: allow
          - name: typed-redact
            match: { subjects: [{{GatewaySettings.AgentClientId}}] }
            columns: [public.typed_redact.c_*]
            method: redact
          - name: typed-partial
            match: { subjects: [{{GatewaySettings.AgentClientId}}] }
            columns: [public.typed_partial.c_*]
            method: partial
            keep: 4
          - name: typed-hash
            match: { subjects: [{{GatewaySettings.AgentClientId}}] }
            columns: [public.typed_hash.c_*]
            method: hash
            key_env: {{KeyVariable}}
          - name: typed-null
            match: { subjects: [{{GatewaySettings.AgentClientId}}] }
            columns: [public.typed_null.c_*]
            method: null
          - name: secrets-in-text
            match: { subjects: [{{GatewaySettings.OtherClientId}}] }
            detectors: [email, card, aws_access_key]
            method: redact
        rules:
          - name: allow-all
            effect: allow
            reason: masking tests allow every statement; the masks decide what is seen
            match:
              kinds: [read, write, ddl, privilege, role_change, procedural, transaction, admin, session, lock, other]
        """;

    /// <summary>The customers: (id, name, email, card, region).</summary>
    public static readonly IReadOnlyList<(int Id, string Name, string Email, string Card, string Region)> Customers =
    [
        (1, "Ada Lovelace", "ada.secret@example.com", "4111111111111111", "eu"),
        (2, "Grace Hopper", "grace.hidden@example.org", "5500005555555559", "us"),
        (3, "Edsger Dijkstra", "edsger.private@example.net", "340000000000009", "eu"),
        (4, "Barbara Liskov", "barbara.confidential@example.com", "6011000990139424", "us"),
    ];

    /// <summary>Every value that must never be seen in clear, and what a derivation of it would look like.</summary>
    public static IReadOnlyList<string> Secrets { get; } = [.. Customers.SelectMany(c => new[] { c.Email, c.Card })];

    public TempPostgres Postgres { get; private set; } = null!;

    public GatewayNode Node { get; private set; } = null!;

    public string DirectConnectionString { get; private set; } = "";

    public string StateConnectionString { get; private set; } = "";

    /// <summary>The hash masks' key as the policy references it (the variable's text; its UTF-8 bytes are the HMAC key).</summary>
    public string HashKey { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));

    public async Task InitializeAsync()
    {
        Environment.SetEnvironmentVariable(KeyVariable, HashKey);
        Postgres = await TempPostgres.StartAsync();
        var statePassword = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var targetPassword = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        await Postgres.CreateRoleAsync("orleansgate", statePassword);
        await Postgres.ExecuteAsync("postgres", "CREATE DATABASE orleansgate_state OWNER orleansgate");
        await Postgres.CreateRoleAsync("gateway_demo", targetPassword);
        await Postgres.CreateDatabaseAsync("demo");
        await Postgres.ExecuteAsync("demo", Schema);
        await Postgres.ExecuteAsync("demo", "ANALYZE");
        DirectConnectionString = Postgres.ConnectionString("demo");

        StateConnectionString = Postgres.ConnectionString("orleansgate_state", "orleansgate", statePassword);
        var settings = new GatewaySettings
        {
            StateConnectionString = StateConnectionString,
            TargetPort = Postgres.Port,
            TargetPassword = targetPassword,
            PolicyFile = GatewaySettings.WritePolicyFile(Policy),
        };
        Node = await GatewayNode.StartAsync(settings);
    }

    private static string Schema => $"""
        CREATE TABLE customers (id integer PRIMARY KEY, name text NOT NULL, email text NOT NULL, card text NOT NULL, region text NOT NULL);
        {string.Join('\n', Customers.Select(c => $"INSERT INTO customers VALUES ({c.Id}, '{c.Name}', '{c.Email}', '{c.Card}', '{c.Region}');"))}
        CREATE TABLE orders (id integer PRIMARY KEY, customer_id integer NOT NULL REFERENCES customers (id), amount numeric(10, 2) NOT NULL);
        INSERT INTO orders VALUES (1, 1, 120.50), (2, 1, 35.00), (3, 2, 999.99), (4, 4, 10.00);
        CREATE TABLE leads (id integer PRIMARY KEY, email text NOT NULL);
        CREATE TABLE subscribers (id integer PRIMARY KEY, email text NOT NULL);
        INSERT INTO leads VALUES (1, 'shared.one@example.com'), (2, 'shared.two@example.com'), (3, 'lead.only@example.com');
        INSERT INTO subscribers VALUES (1, 'shared.one@example.com'), (2, 'subscriber.only@example.com'), (3, 'shared.two@example.com');
        CREATE VIEW customer_contacts AS SELECT id, name, email FROM customers;
        CREATE TABLE notes (id integer PRIMARY KEY, body text NOT NULL);
        INSERT INTO notes VALUES
            (1, 'call ada.secret@example.com about card 4111 1111 1111 1111'),
            (2, 'deploy key AKIAIOSFODNN7EXAMPLE rotated'),
            (3, 'nothing sensitive here');
        {MaskedTypesPropertyTests.TablesSql()}
        GRANT USAGE ON SCHEMA public TO gateway_demo;
        GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO gateway_demo;
        GRANT CREATE ON SCHEMA public TO gateway_demo;
        """;

    /// <summary>A session of <paramref name="clientId"/> through the gateway (Npgsql: extended protocol, binary results).</summary>
    public async Task<NpgsqlConnection> OpenAsync(string clientId = GatewaySettings.AgentClientId)
    {
        var connection = new NpgsqlConnection(Node.ConnectionString(await Node.GetTokenAsync(clientId), user: clientId) + ";Pooling=false");
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>Runs psql through the gateway (simple protocol, text results): unaligned, tuples only, fields split by '|', NULL as "(null)".</summary>
    public async Task<ExternalCommand.Result> PsqlAsync(IReadOnlyList<string> commands, string clientId = GatewaySettings.AgentClientId)
    {
        var settings = Node.Settings;
        var arguments = new List<string>
        {
            $"host=127.0.0.1 port={settings.PostgresPort} dbname={GatewaySettings.TargetName} user={clientId} sslmode=disable",
            "-X", "-q", "-A", "-t", "-F", "|", "-v", "ON_ERROR_STOP=1", "-P", "null=(null)",
        };
        foreach (var command in commands)
        {
            arguments.Add("-c");
            arguments.Add(command);
        }

        return await ExternalCommand.RunAsync("psql", arguments, TimeSpan.FromSeconds(60),
            environment: new Dictionary<string, string> { ["PGPASSWORD"] = await Node.GetTokenAsync(clientId), ["PGCONNECT_TIMEOUT"] = "15" });
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

    public static string RepoRoot() => PolicyFixture.RepoRoot();
}

[CollectionDefinition(Name)]
public sealed class MaskingCollection : ICollectionFixture<MaskingFixture>
{
    public const string Name = "masking";
}
