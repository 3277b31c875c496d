using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OrleansGate.KubernetesApiStandIn.Certificates;
using OrleansGate.KubernetesApiStandIn.Endpoints;
using OrleansGate.KubernetesApiStandIn.Pods;
using OrleansGate.KubernetesApiStandIn.Responses;
using OrleansGate.KubernetesApiStandIn.Store;

namespace OrleansGate.KubernetesApiStandIn;

/// <summary>
/// A stand-in for a Kubernetes API server, for tests: no real kube-apiserver or container runtime runs on
/// our machines. It speaks enough of the API for <c>kubectl</c> 1.32 and the KubernetesClient package —
/// discovery, CRUD, watch, Table output, logs (with follow) and exec/attach over WebSocket — for pods,
/// secrets, configmaps, namespaces, services and deployments, kept in memory. It is not a Kubernetes:
/// nothing schedules or runs, pods are Running once written, and exec runs <see cref="FakeCommands"/>.
/// </summary>
/// <remarks>
/// <code>
///   kubectl / KubernetesClient ──HTTPS (h2, http/1.1)──► Kestrel on 127.0.0.1:free port
///        RequestGate: record every request, then bearer token (or client certificate) or 401
///        ApiDispatcher: discovery │ resources (ObjectStore) │ pods/log (PodLogs) │ pods/exec (WebSocket)
/// </code>
/// </remarks>
public sealed class KubernetesApiStandIn : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly StandInCertificateAuthority _authority;
    private readonly X509Certificate2 _serverCertificate;
    private readonly ObjectStore _store;
    private readonly PodLogs _logs;
    private readonly RequestLog _requests;
    private readonly CancellationTokenSource _stopping;

    private KubernetesApiStandIn(
        WebApplication app, StandInCertificateAuthority authority, X509Certificate2 serverCertificate, ObjectStore store,
        PodLogs logs, RequestLog requests, CancellationTokenSource stopping, string bearerToken)
    {
        _app = app;
        _authority = authority;
        _serverCertificate = serverCertificate;
        _store = store;
        _logs = logs;
        _requests = requests;
        _stopping = stopping;
        BearerToken = bearerToken;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Url = new Uri(address);
    }

    /// <summary><c>https://127.0.0.1:PORT/</c>.</summary>
    public Uri Url { get; }

    /// <summary>The stand-in's CA, which signed its serving certificate: what a kubeconfig's certificate-authority-data holds.</summary>
    public string CaCertificatePem => _authority.CertificatePem;

    /// <summary>The CA certificate without its key, for an HttpClient's custom trust; a new instance each call, for the caller to dispose.</summary>
    public X509Certificate2 CaCertificate => X509CertificateLoader.LoadCertificate(_authority.Certificate.RawData);

    /// <summary>The only token let in.</summary>
    public string BearerToken { get; }

    /// <summary>Every request received so far, accepted or not, oldest first.</summary>
    public IReadOnlyList<RecordedRequest> Requests => _requests.Snapshot();

    /// <summary>Watches open right now.</summary>
    public int OpenWatches => _store.WatcherCount;

    public static async Task<KubernetesApiStandIn> StartAsync(KubernetesApiStandInOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new KubernetesApiStandInOptions();
        var authority = StandInCertificateAuthority.Create();
        var serverCertificate = authority.IssueServerCertificate();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(KubernetesApiStandIn).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(options.LoggerFactory ?? NullLoggerFactory.Instance);
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.Protocols = HttpProtocols.Http1AndHttp2;
            listen.UseHttps(https =>
            {
                https.ServerCertificate = serverCertificate;
                if (options.AcceptClientCertificates)
                {
                    // Any certificate may be presented; RequestGate decides, so a stranger gets a 401 Status,
                    // not a failed handshake the client cannot explain.
                    https.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
                    https.ClientCertificateValidation = (_, _, _) => true;
                }
            });
        }));

        var app = builder.Build();
        var stopping = new CancellationTokenSource();
        var time = options.TimeProvider;
        var logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<KubernetesApiStandIn>();
        var store = new ObjectStore(time);
        var logs = new PodLogs();
        store.Deleted = (resource, obj) =>
        {
            if (resource == StandInResources.Pods)
            {
                logs.Remove(ObjectMetadata.Namespace(obj) ?? "", ObjectMetadata.Name(obj) ?? "");
            }
        };
        foreach (var ns in options.Namespaces)
        {
            store.Create(StandInResources.Namespaces, null, new JsonObject { ["metadata"] = new JsonObject { ["name"] = ns } });
        }

        var requests = new RequestLog();
        var gate = new RequestGate(requests, options.BearerToken, options.AcceptClientCertificates ? authority : null);
        var dispatcher = new ApiDispatcher(
            new ResourceEndpoints(store, new TableConverter(time), time, stopping.Token),
            new PodLogEndpoint(store, logs, stopping.Token),
            new PodExecEndpoint(store, logger, stopping.Token),
            logger);
        app.Use(gate.InvokeAsync);
        app.UseWebSockets();
        app.Run(dispatcher.HandleAsync);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        return new KubernetesApiStandIn(app, authority, serverCertificate, store, logs, requests, stopping, options.BearerToken);
    }

    public void ClearRequests() => _requests.Clear();

    /// <summary>Stores an object as a client's create would (namespace from its metadata, "default" if none),
    /// telling open watches; returns it as stored.</summary>
    public JsonObject Create(StandInResource resource, JsonObject obj)
    {
        var ns = resource.Namespaced ? ObjectMetadata.Namespace(obj) ?? "default" : null;
        return _store.Create(resource, ns, (JsonObject)obj.DeepClone());
    }

    public JsonObject? Get(StandInResource resource, string? ns, string name)
    {
        try
        {
            return _store.Get(resource, ns, name);
        }
        catch (ApiStatusException e) when (e.Status.Code == 404)
        {
            return null;
        }
    }

    public IReadOnlyList<JsonObject> List(StandInResource resource, string? ns = null) =>
        _store.List(resource, ns, Selector.Everything).Items;

    public void Delete(StandInResource resource, string? ns, string name) => _store.Delete(resource, ns, name);

    /// <summary>Replaces a pod's log text (the pod need not exist yet).</summary>
    public void SetLog(string ns, string pod, string text) => _logs.Set(ns, pod, text);

    /// <summary>Appends a line to a pod's log; followers (<c>logs -f</c>) receive it at once.</summary>
    public void AppendLog(string ns, string pod, string line) => _logs.Append(ns, pod, line);

    /// <summary>A client certificate from the stand-in's CA (CN = user, O = groups), with its key; accepted
    /// when the stand-in was started with <see cref="KubernetesApiStandInOptions.AcceptClientCertificates"/>.</summary>
    public X509Certificate2 IssueClientCertificate(string user, params string[] groups) =>
        _authority.IssueClientCertificate(user, groups);

    /// <summary>A kubeconfig for this stand-in: server URL, CA data and the bearer token (or another token, to
    /// test refusal), namespace "default".</summary>
    public string Kubeconfig(string? token = null)
    {
        var caData = Convert.ToBase64String(Encoding.ASCII.GetBytes(CaCertificatePem));
        return $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: stand-in
              cluster:
                server: {Url.GetLeftPart(UriPartial.Authority)}
                certificate-authority-data: {caData}
            users:
            - name: stand-in
              user:
                token: {token ?? BearerToken}
            contexts:
            - name: stand-in
              context:
                cluster: stand-in
                user: stand-in
                namespace: default
            current-context: stand-in

            """;
    }

    public async ValueTask DisposeAsync()
    {
        // Streams (watches, log follows, exec sessions) end first, so stopping Kestrel does not wait on them.
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
        _serverCertificate.Dispose();
        _authority.Dispose();
    }
}
