using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Orleans.Messaging;
using OrleansGate.Host.Cluster;
using OrleansGate.Tests.Hosting;

namespace OrleansGate.Tests.Cluster;

/// <summary>
/// An edge's probe of its gateways' <c>/healthz</c> and the gateway list it gives Orleans: a gateway that stops answering
/// (the shape of a SIGSTOPped silo: the TCP connection is taken, no answer comes) is left out after two probes and
/// taken back when it answers; the list is never emptied by the probe.
/// </summary>
public sealed class GatewayHealthProbeTests : IAsyncLifetime
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromMilliseconds(300);

    private static readonly IPEndPoint Gateway1 = new(IPAddress.Loopback, 30001);
    private static readonly IPEndPoint Gateway2 = new(IPAddress.Loopback, 30002);
    private static readonly IPEndPoint Gateway3 = new(IPAddress.Loopback, 30003);

    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch);
    private readonly List<WebApplication> _apps = [];
    private readonly List<Socket> _sockets = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var app in _apps)
        {
            await app.DisposeAsync();
        }

        _sockets.ForEach(s => s.Dispose());
    }

    [Fact]
    public async Task A_gateway_that_stops_answering_is_left_out_after_two_probes_and_taken_back_when_it_answers()
    {
        var silo1 = await SiloStandInAsync();
        var silo2 = await SiloStandInAsync();
        using var probe = Probe(new() { [Gateway1] = silo1.Url, [Gateway2] = silo2.Url });
        var list = List(probe, [Gateway1, Gateway2, Gateway3]);

        silo2.Stop();
        await probe.ProbeOnceAsync(CancellationToken.None);
        Assert.False(probe.IsUnresponsive(Gateway2)); // one unanswered probe is not enough: a busy silo may be slow once
        Assert.Equal([Gateway1, Gateway2, Gateway3], await GatewaysAsync(list));

        await probe.ProbeOnceAsync(CancellationToken.None);
        Assert.True(probe.IsUnresponsive(Gateway2));
        Assert.False(probe.IsUnresponsive(Gateway1));
        Assert.Equal([Gateway1, Gateway3], await GatewaysAsync(list)); // gateway 3 publishes no URL: never left out

        silo2.Resume();
        await probe.ProbeOnceAsync(CancellationToken.None);
        Assert.False(probe.IsUnresponsive(Gateway2));
        Assert.Equal([Gateway1, Gateway2, Gateway3], await GatewaysAsync(list));
    }

    [Fact]
    public async Task A_listener_that_takes_connections_but_never_reads_them_is_unresponsive()
    {
        // What a stopped process looks like from outside: the kernel completes the handshake, nothing answers.
        var stopped = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _sockets.Add(stopped);
        stopped.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        stopped.Listen(16);
        var silo1 = await SiloStandInAsync();
        using var probe = Probe(new() { [Gateway1] = silo1.Url, [Gateway2] = new Uri($"http://{stopped.LocalEndPoint}/healthz") });

        await probe.ProbeOnceAsync(CancellationToken.None);
        await probe.ProbeOnceAsync(CancellationToken.None);

        Assert.True(probe.IsUnresponsive(Gateway2));
        Assert.False(probe.IsUnresponsive(Gateway1));
    }

    [Fact]
    public async Task When_every_gateway_is_unresponsive_all_are_given_as_Orleans_alone_would()
    {
        var silo1 = await SiloStandInAsync();
        using var probe = Probe(new() { [Gateway1] = silo1.Url, [Gateway2] = new Uri("http://127.0.0.1:1/healthz") });
        var list = List(probe, [Gateway1, Gateway2]);

        silo1.Stop();
        await probe.ProbeOnceAsync(CancellationToken.None);
        await probe.ProbeOnceAsync(CancellationToken.None);

        Assert.True(probe.IsUnresponsive(Gateway1) && probe.IsUnresponsive(Gateway2));
        Assert.Equal([Gateway1, Gateway2], await GatewaysAsync(list));
    }

    [Fact]
    public async Task A_failed_read_of_the_table_keeps_the_last_list_and_still_leaves_the_unresponsive_out()
    {
        var silo2 = await SiloStandInAsync();
        using var probe = Probe(new() { [Gateway2] = silo2.Url });
        var inner = new GatewayTableStandIn([Gateway1, Gateway2]);
        var list = new ProbedGatewayListProvider(inner, probe, TimeSpan.FromSeconds(10), _time, NullLogger<ProbedGatewayListProvider>.Instance);
        Assert.Equal([Gateway1, Gateway2], await GatewaysAsync(list));

        inner.Failure = new InvalidOperationException("state database restarting");
        silo2.Stop();
        await probe.ProbeOnceAsync(CancellationToken.None);
        await probe.ProbeOnceAsync(CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal([Gateway1], await GatewaysAsync(list));
        Assert.Equal(2, inner.Reads);
    }

    [Fact]
    public async Task The_table_is_read_once_per_period_while_the_list_is_taken_more_often()
    {
        using var probe = Probe([]);
        var inner = new GatewayTableStandIn([Gateway1]);
        var list = new ProbedGatewayListProvider(inner, probe, TimeSpan.FromSeconds(10), _time, NullLogger<ProbedGatewayListProvider>.Instance);

        await list.GetGateways();
        _time.Advance(TimeSpan.FromSeconds(9));
        await list.GetGateways();
        Assert.Equal(1, inner.Reads);

        inner.Gateways = [Gateway1, Gateway2]; // a silo joined
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal([Gateway1, Gateway2], await GatewaysAsync(list));
        Assert.Equal(2, inner.Reads);
    }

    private GatewayHealthProbe Probe(Dictionary<IPEndPoint, Uri> targets) =>
        new(_ => Task.FromResult<IReadOnlyDictionary<IPEndPoint, Uri>>(targets), new HttpMessageInvoker(new SocketsHttpHandler { UseProxy = false }),
            ProbeTimeout, _time, NullLogger<GatewayHealthProbe>.Instance);

    private ProbedGatewayListProvider List(GatewayHealthProbe probe, IPEndPoint[] gateways) =>
        new(new GatewayTableStandIn(gateways), probe, TimeSpan.FromSeconds(10), _time, NullLogger<ProbedGatewayListProvider>.Instance);

    private static async Task<IPEndPoint[]> GatewaysAsync(ProbedGatewayListProvider list) =>
        [.. (await list.GetGateways()).Select(ProbedGatewayListProvider.Endpoint)];

    private async Task<SiloStandIn> SiloStandInAsync()
    {
        var silo = new SiloStandIn();
        var (app, address) = await LoopbackWebApp.StartAsync(_ => { }, app => app.MapGet("/healthz", silo.AnswerAsync));
        _apps.Add(app);
        silo.Url = new Uri(address + "/healthz");
        return silo;
    }

    /// <summary>A silo's <c>/healthz</c> on real Kestrel; stopped, it holds every request unanswered, as a SIGSTOPped process does.</summary>
    private sealed class SiloStandIn
    {
        private volatile TaskCompletionSource? _stopped;

        public Uri Url { get; set; } = null!;

        public void Stop() => _stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Resume() => Interlocked.Exchange(ref _stopped, null)?.TrySetResult();

        public async Task<IResult> AnswerAsync(CancellationToken aborted)
        {
            if (_stopped is { } stopped)
            {
                await stopped.Task.WaitAsync(aborted);
            }

            return Results.Text("ok");
        }
    }

    /// <summary>The membership table's gateway list as Orleans' ADO.NET provider gives it, in memory.</summary>
    private sealed class GatewayTableStandIn(IPEndPoint[] gateways) : IGatewayListProvider
    {
        public IPEndPoint[] Gateways { get; set; } = gateways;

        public Exception? Failure { get; set; }

        public int Reads { get; private set; }

        public TimeSpan MaxStaleness => TimeSpan.FromSeconds(10);

        [Obsolete("Orleans no longer reads it.")]
        public bool IsUpdatable => true;

        public Task InitializeGatewayListProvider() => Task.CompletedTask;

        public Task<IList<Uri>> GetGateways()
        {
            Reads++;
            return Failure is { } failure
                ? Task.FromException<IList<Uri>>(failure)
                : Task.FromResult<IList<Uri>>([.. Gateways.Select(g => new Uri($"gwy.tcp://{g}/0"))]);
        }
    }
}
