using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using OrleansGate.Kubernetes.Requests;
using OrleansGate.Policy.Model;

namespace OrleansGate.Edge.Http;

/// <summary>
/// Stands in for the server's upgrade features on an allowed exec or attach whose output detectors watch. YARP relays an
/// upgrade by calling <see cref="IHttpUpgradeFeature.UpgradeAsync"/> (HTTP/1.1) or
/// <see cref="IHttpExtendedConnectFeature.AcceptAsync"/> (HTTP/2 extended CONNECT) once the target has agreed, and copying
/// into the stream it gets: here an <see cref="ExecOutputFilter"/> around the agent's own.
/// </summary>
/// <remarks>
/// Only the binary channel protocols are relayed so: SPDY (kubectl before 1.30), <c>base64.channel.k8s.io</c> or a
/// negotiated WebSocket extension would carry output the filter cannot read, so the upgrade is refused with 502 and
/// nothing is relayed.
/// </remarks>
public sealed class ExecUpgradeFeature : IHttpUpgradeFeature, IHttpExtendedConnectFeature
{
    /// <summary>The remote-command subprotocols whose messages are binary, each starting with its channel byte.</summary>
    public static IReadOnlyList<string> ChannelProtocols { get; } = ["v5.channel.k8s.io", "v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io"];

    private readonly HttpContext _context;
    private readonly IHttpUpgradeFeature? _upgrade;
    private readonly IHttpExtendedConnectFeature? _connect;
    private readonly ExecDetectors _detectors;
    private ExecOutputFilter? _filter;

    private ExecUpgradeFeature(HttpContext context, IHttpUpgradeFeature? upgrade, IHttpExtendedConnectFeature? connect, ExecDetectors detectors) =>
        (_context, _upgrade, _connect, _detectors) = (context, upgrade, connect, detectors);

    /// <summary>Detector finds replaced in the output so far.</summary>
    public long ValuesMasked => _filter?.ValuesMasked ?? 0;

    /// <summary>Why the output was cut, or null.</summary>
    public string? Failure => _filter?.Failure;

    bool IHttpUpgradeFeature.IsUpgradableRequest => _upgrade?.IsUpgradableRequest == true;

    bool IHttpExtendedConnectFeature.IsExtendedConnect => _connect?.IsExtendedConnect == true;

    string? IHttpExtendedConnectFeature.Protocol => _connect?.Protocol;

    /// <summary>
    /// Before the forward of an allowed exec or attach: when masks with detectors apply to <paramref name="identity"/> on
    /// <paramref name="target"/>, replaces the upgrade features so the output goes through an <see cref="ExecOutputFilter"/>
    /// (and sets this feature itself, for its count). Anything else is left alone.
    /// </summary>
    public static void Wrap(HttpContext context, CompiledPolicy policy, PolicyIdentity identity, string target, KubernetesRequest? request)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (request is not { Subresource: "exec" or "attach" } || ExecDetectors.For(policy, identity, target) is not { } detectors)
        {
            return;
        }

        var feature = new ExecUpgradeFeature(context, context.Features.Get<IHttpUpgradeFeature>(), context.Features.Get<IHttpExtendedConnectFeature>(), detectors);
        if (feature._upgrade is not null)
        {
            context.Features.Set<IHttpUpgradeFeature>(feature);
        }

        if (feature._connect is not null)
        {
            context.Features.Set<IHttpExtendedConnectFeature>(feature);
        }

        context.Features.Set(feature);
    }

    async Task<Stream> IHttpUpgradeFeature.UpgradeAsync()
    {
        Check(_context.Response.Headers.Upgrade.ToString().Equals("websocket", StringComparison.OrdinalIgnoreCase));
        return _filter = new ExecOutputFilter(await _upgrade!.UpgradeAsync().ConfigureAwait(false), _detectors);
    }

    async ValueTask<Stream> IHttpExtendedConnectFeature.AcceptAsync()
    {
        Check(string.Equals(_connect!.Protocol, "websocket", StringComparison.OrdinalIgnoreCase));
        return _filter = new ExecOutputFilter(await _connect.AcceptAsync().ConfigureAwait(false), _detectors);
    }

    /// <summary>Refuses (502, nothing relayed) an upgrade to anything but a WebSocket with a binary channel protocol and no extension.</summary>
    private void Check(bool webSocket)
    {
        var response = _context.Response;
        var protocol = response.Headers.SecWebSocketProtocol.ToString();
        if (webSocket && ChannelProtocols.Contains(protocol, StringComparer.Ordinal) && response.Headers.SecWebSocketExtensions.Count == 0)
        {
            return;
        }

        var what = !webSocket ? "a protocol other than WebSocket"
            : response.Headers.SecWebSocketExtensions.Count > 0 ? "a WebSocket with an extension"
            : $"WebSocket protocol '{protocol}'";

        // YARP has copied the target's 101 and its headers; a 502 goes instead, since the agent's stream is never opened.
        response.Clear();
        response.StatusCode = StatusCodes.Status502BadGateway;
        throw new InvalidOperationException($"the target upgraded exec to {what}, whose output the gateway cannot check for masked values");
    }
}
