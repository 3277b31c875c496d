using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.IntegrationTests.Infrastructure;

namespace OrleansGate.IntegrationTests.Approvals;

/// <summary>
/// Real PostgreSQL and two gateway nodes of one cluster (both silo and edge), with a policy whose approve rules differ by
/// agent: agent-a waits (one approver), agent-b waits 2 s and expires, agent-r retries (exact reuse), alice needs two
/// approvers (and is an approver herself). The first node also serves the approvals page, for <see cref="PageUser"/>.
/// </summary>
public sealed class ApprovalFixture : IAsyncLifetime
{
    public const string Policy = """
        version: tests-approvals
        rules:
          - name: reads
            effect: allow
            reason: agents may read
            match: { kinds: [read, transaction, session] }
          - name: orders-wait
            effect: approve
            reason: changes need a human
            match: { subjects: [agent-a], kinds: [write] }
            approval: { approvers: { groups: [dba] }, mode: wait, timeout: 90s }
          - name: short-wait
            effect: approve
            reason: changes need a human, quickly
            match: { subjects: [agent-b], kinds: [write] }
            approval: { approvers: { groups: [dba] }, mode: wait, timeout: 2s }
          - name: retry-later
            effect: approve
            reason: changes are approved out of band
            match: { subjects: [agent-r], kinds: [write] }
            approval: { approvers: { groups: [dba] }, mode: retry, timeout: 5m, reuse: exact, max_reuse: 1h }
          - name: two-approvers
            effect: approve
            reason: changes need two people
            match: { subjects: [alice], kinds: [write] }
            approval: { approvers: { groups: [dba] }, required: 2, mode: wait, timeout: 90s }
        """;

    /// <summary>The dev IdP user who signs in to the approvals page (group dba), and the page's public client.</summary>
    public const string PageUser = "erin";

    public const string PageClientId = "orleansgate-approvals";

    public TempPostgres Postgres { get; private set; } = null!;

    /// <summary>The password of <see cref="PageUser"/>, given to the IdP by file as deploy/local does.</summary>
    public string PageUserPassword { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(12));

    public GatewayNode Node { get; private set; } = null!;

    public GatewayNode Other { get; private set; } = null!;

    /// <summary>Where both nodes post their approval notices (the JSON webhook).</summary>
    public WebhookReceiver Webhook { get; private set; } = null!;

    /// <summary>The Slack app's signing secret the nodes check interactive requests against.</summary>
    public string SlackSigningSecret { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    /// <summary>The Slack user mapped to the approver carol.</summary>
    public const string SlackUser = "U0CAROL";

    public async Task InitializeAsync()
    {
        Postgres = await TempPostgres.StartAsync();
        var statePassword = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var targetPassword = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        await Postgres.CreateRoleAsync("orleansgate", statePassword);
        await Postgres.ExecuteAsync("postgres", "CREATE DATABASE orleansgate_state OWNER orleansgate");
        await Postgres.CreateRoleAsync("gateway_demo", targetPassword);
        await Postgres.CreateDatabaseAsync("demo");
        await Postgres.ExecuteAsync("demo", """
            CREATE TABLE items (id int PRIMARY KEY, note text NOT NULL);
            INSERT INTO items SELECT g, 'new' FROM generate_series(1, 100) g;
            GRANT SELECT, INSERT, UPDATE, DELETE ON items TO gateway_demo;
            """);
        Webhook = await WebhookReceiver.StartAsync();
        var secretFile = Path.Combine(Directory.CreateTempSubdirectory("orleansgate-slack-").FullName, "signing-secret");
        await File.WriteAllTextAsync(secretFile, SlackSigningSecret + "\n");
        var httpPort = FreePort.Next();
        var issuer = $"http://127.0.0.1:{httpPort}/oauth2/default";
        var notifications = new Dictionary<string, string?>
        {
            ["OrleansGate:Approvals:Notifications:Webhook:Url"] = Webhook.Url,
            ["OrleansGate:Approvals:Notifications:RemindEvery"] = "00:00:01",
            ["OrleansGate:Approvals:Notifications:Slack:SigningSecretFile"] = secretFile,
            [$"OrleansGate:Approvals:Notifications:Slack:Users:{SlackUser}:Issuer"] = issuer,
            [$"OrleansGate:Approvals:Notifications:Slack:Users:{SlackUser}:Subject"] = "carol",
            [$"OrleansGate:Approvals:Notifications:Slack:Users:{SlackUser}:Groups:0"] = GatewaySettings.ApproverGroup,
        };
        var settings = new GatewaySettings
        {
            StateConnectionString = Postgres.ConnectionString("orleansgate_state", "orleansgate", statePassword),
            TargetPort = Postgres.Port,
            TargetPassword = targetPassword,
            PolicyFile = GatewaySettings.WritePolicyFile(Policy),
            HttpPort = httpPort,

            // The approvals page on the first node, and a person (not a client) who signs in to it at the dev IdP.
            Overrides = new Dictionary<string, string?>(notifications)
            {
                ["OrleansGate:DevIdp:Users:0:Username"] = PageUser,
                ["OrleansGate:DevIdp:Users:0:PasswordFile"] = WritePasswordFile(),
                ["OrleansGate:DevIdp:Users:0:Groups:0"] = GatewaySettings.ApproverGroup,
                ["OrleansGate:DevIdp:PublicClients:0:ClientId"] = PageClientId,
                ["OrleansGate:DevIdp:PublicClients:0:RedirectUris:0"] = $"http://127.0.0.1:{httpPort}/approvals/callback",
                ["OrleansGate:Approvals:Page:Issuer"] = issuer,
                ["OrleansGate:Approvals:Page:ClientId"] = PageClientId,
            },
        };
        Assert.Equal(settings.Issuer, issuer);
        Node = await GatewayNode.StartAsync(settings);
        Other = await GatewayNode.StartAsync(settings.OtherNode("node-2", notifications));
    }

    public async Task DisposeAsync()
    {
        if (Webhook is not null)
        {
            await Webhook.DisposeAsync();
        }

        if (Other is not null)
        {
            await Other.DisposeAsync();
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

    private string WritePasswordFile()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("orleansgate-idp-user-").FullName, PageUser);
        File.WriteAllText(path, PageUserPassword + "\n");
        return path;
    }

    /// <summary>The note of one row, read directly from the target.</summary>
    public async Task<string> NoteAsync(int id)
    {
        await using var connection = new Npgsql.NpgsqlConnection(Postgres.ConnectionString("demo"));
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand($"SELECT note FROM items WHERE id = {id}", connection);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Calls the approvals API of <paramref name="node"/> as <paramref name="approver"/> (a token of the development IdP).</summary>
    public Task<(int Status, JsonElement Body)> CallAsync(GatewayNode node, HttpMethod method, string path, string? token, object? body = null) =>
        CallAsync(node.Settings.HttpPort, method, path, token, body);

    /// <summary>Calls the approvals API on the node whose HTTP listener is <paramref name="httpPort"/>.</summary>
    public async Task<(int Status, JsonElement Body)> CallAsync(int httpPort, HttpMethod method, string path, string? token, object? body = null)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        using var request = new HttpRequestMessage(method, $"http://127.0.0.1:{httpPort}{path}");
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        using var json = JsonDocument.Parse(text.Length == 0 ? "{}" : text);
        return ((int)response.StatusCode, json.RootElement.Clone());
    }
}
