using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OrleansGate.Host.DevIdp;
using OrleansGate.Tests.Hosting;

namespace OrleansGate.Tests.DevIdp;

/// <summary>A real Kestrel server on 127.0.0.1 with a free port, serving only the development IdP.</summary>
internal sealed class DevIdpServer : IAsyncDisposable
{
    public const string IssuerPath = "/oauth2/default";
    public const string Audience = "api://orleansgate";
    public const string ClientId = "agent-ci";
    public const string ClientSecret = "Sec-ret+value/with:odd=chars 01";
    public const string OtherClientId = "agent-other";
    public const string OtherClientSecret = "another-secret-0123456789";

    public const string PublicClientId = "orleansgate-approvals";
    public const string OtherPublicClientId = "other-approvals";
    public const string RedirectUri = "http://127.0.0.1:9/approvals/callback";
    public const string SecondRedirectUri = "http://127.0.0.1:9/approvals/callback?from=second";
    public const string Alice = "alice";
    public const string AlicePassword = "alice-Pa55 word\"<&>";
    public const string Bob = "bob";
    public const string BobPassword = "bob-password-from-the-environment";
    public const string BobPasswordEnv = "ORLEANSGATE_TESTS_DEVIDP_BOB_PASSWORD";
    public const string Dave = "dave";
    public const string DavePassword = "dave-password-0123";

    private readonly WebApplication _app;

    private DevIdpServer(WebApplication app, string issuer)
    {
        _app = app;
        Issuer = issuer;
        Http = new HttpClient { BaseAddress = new Uri(issuer.TrimEnd('/') + "/") };
    }

    /// <summary>The issuer, with the port Kestrel actually bound.</summary>
    public string Issuer { get; }

    /// <summary>A client whose relative URLs resolve under the issuer, e.g. <c>v1/keys</c>.</summary>
    public HttpClient Http { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<DevIdpServer> StartAsync(string keyDirectory, TimeProvider time, Action<IDictionary<string, string?>>? configure = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["OrleansGate:DevIdp:Enabled"] = "true",

            // The port is not known until Kestrel has bound one; it is filled in below.
            ["OrleansGate:DevIdp:Issuer"] = "http://127.0.0.1" + IssuerPath,
            ["OrleansGate:DevIdp:Audience"] = Audience,
            ["OrleansGate:DevIdp:KeyDirectory"] = keyDirectory,
            ["OrleansGate:DevIdp:Clients:0:ClientId"] = ClientId,
            ["OrleansGate:DevIdp:Clients:0:ClientSecret"] = ClientSecret,
            ["OrleansGate:DevIdp:Clients:0:Groups:0"] = "dba",
            ["OrleansGate:DevIdp:Clients:0:Groups:1"] = "readers",
            ["OrleansGate:DevIdp:Clients:1:ClientId"] = OtherClientId,
            ["OrleansGate:DevIdp:Clients:1:ClientSecret"] = OtherClientSecret,
        };
        configure?.Invoke(settings);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();

        var (app, address) = await LoopbackWebApp.StartAsync(
            services =>
            {
                services.AddSingleton(time);
                services.AddDevIdp(configuration.GetSection("OrleansGate:DevIdp"));
            },
            web => web.MapDevIdp());
        var issuer = address + IssuerPath;

        // The IdP re-reads its options per request, so the real issuer takes effect once configuration reloads.
        configuration["OrleansGate:DevIdp:Issuer"] = issuer;
        configuration.Reload();
        return new DevIdpServer(app, issuer);
    }

    /// <summary>
    /// Adds the login users and public clients: alice (groups dba, readers; password in a file), bob (dba; password in
    /// an environment variable) and dave (no groups), and two public clients.
    /// </summary>
    public static Action<IDictionary<string, string?>> WithLoginUsers(string passwordDirectory) => settings =>
    {
        // Process-wide, but always the same value, so tests running in parallel agree on it.
        Environment.SetEnvironmentVariable(BobPasswordEnv, BobPassword);
        const string At = "OrleansGate:DevIdp:";
        settings[At + "Users:0:Username"] = Alice;
        settings[At + "Users:0:PasswordFile"] = PasswordFile(passwordDirectory, Alice, AlicePassword);
        settings[At + "Users:0:Groups:0"] = "dba";
        settings[At + "Users:0:Groups:1"] = "readers";
        settings[At + "Users:0:Claims:team"] = "storage";
        settings[At + "Users:1:Username"] = Bob;
        settings[At + "Users:1:PasswordEnv"] = BobPasswordEnv;
        settings[At + "Users:1:Groups:0"] = "dba";
        settings[At + "Users:2:Username"] = Dave;
        settings[At + "Users:2:PasswordFile"] = PasswordFile(passwordDirectory, Dave, DavePassword);
        settings[At + "PublicClients:0:ClientId"] = PublicClientId;
        settings[At + "PublicClients:0:RedirectUris:0"] = RedirectUri;
        settings[At + "PublicClients:0:RedirectUris:1"] = SecondRedirectUri;
        settings[At + "PublicClients:1:ClientId"] = OtherPublicClientId;
        settings[At + "PublicClients:1:RedirectUris:0"] = RedirectUri;
    };

    /// <summary>Writes <paramref name="password"/> as the first line of a file, as deploy/local/up.sh does, and returns its path.</summary>
    public static string PasswordFile(string directory, string username, string password)
    {
        var path = Path.Combine(directory, username + ".password");
        File.WriteAllText(path, password + "\n");
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
