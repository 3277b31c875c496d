namespace OrleansGate.Edge.Http;

/// <summary>The first byte of each binary message of the remote-command protocols (<c>v4.channel.k8s.io</c>, <c>v5.channel.k8s.io</c>).</summary>
public enum ExecChannel : byte
{
    Stdin = 0,
    Stdout = 1,
    Stderr = 2,

    /// <summary>The exit status, a JSON <c>Status</c>.</summary>
    Error = 3,
    Resize = 4,

    /// <summary>v5: the client closes one of its streams (stdin).</summary>
    Close = 255,
}
