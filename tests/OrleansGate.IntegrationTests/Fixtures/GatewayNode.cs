using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using OrleansGate.Host.Hosting;

namespace OrleansGate.IntegrationTests.Fixtures;

/// <summary>A real orleansgate node in this process, on free loopback ports.</summary>
public sealed class GatewayNode : IAsyncDisposable
{
    private readonly WebApplication _app;
    private bool _stopped;

    private GatewayNode(WebApplication app, GatewaySettings settings)
    {
        _app = app;
        Settings = settings;
    }

    public GatewaySettings Settings { get; }

    public IServiceProvider Services => _app.Services;

    /// <param name="settings">the node's configuration</param>
    /// <param name="role">all, silo or edge</param>
    /// <param name="captureStartLog">attach <see cref="CapturedLog"/> before the schema is applied, so the start's own lines are kept</param>
    public static async Task<GatewayNode> StartAsync(GatewaySettings settings, GatewayRole role = GatewayRole.All, bool captureStartLog = false)
    {
        var app = GatewayHost.Build(role, [], config => config.AddInMemoryCollection(settings.ToConfiguration()));
        try
        {
            if (captureStartLog)
            {
                CapturedLog.AttachTo(app.Services);
            }

            if (role != GatewayRole.Edge)
            {
                await GatewayHost.ApplySchemaAsync(app, CancellationToken.None);
            }

            await app.StartAsync();
            return new GatewayNode(app, settings);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    /// <summary>A client-credentials token from the node's development identity provider, over real HTTP.</summary>
    public async Task<string> GetTokenAsync(string clientId = GatewaySettings.AgentClientId)
    {
        var secret = Settings.ClientSecret(clientId);
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{Settings.Issuer}/v1/token")
        {
            Content = new FormUrlEncodedContent([new("grant_type", "client_credentials")]),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{clientId}:{secret}")));
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("access_token").GetString()!;
    }

    public string ConnectionString(string token, string database = GatewaySettings.TargetName, string user = GatewaySettings.AgentClientId) =>
        Settings.ConnectionString(token, database, user);

    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await _app.StopAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _app.DisposeAsync();
    }
}
