namespace OrleansGate.KubernetesApiStandIn.Pods;

/// <summary>
/// The first byte of every binary WebSocket message in the <c>v4.channel.k8s.io</c> and <c>v5.channel.k8s.io</c>
/// remote-command protocols: which stream the rest of the message belongs to.
/// </summary>
internal enum StreamChannel : byte
{
    Stdin = 0,
    Stdout = 1,
    Stderr = 2,

    /// <summary>Server to client, once, just before closing: a JSON <c>v1 Status</c> with the exit.</summary>
    Error = 3,

    /// <summary>Client to server: terminal size as JSON <c>{"Width":…,"Height":…}</c>.</summary>
    Resize = 4,

    /// <summary>v5 only: <c>[255, channel]</c> half-closes that channel; the client sends it when its stdin ends.</summary>
    Close = 255,
}
