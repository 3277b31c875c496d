using System.Buffers;
using System.Net.Sockets;
using OrleansGate.Postgres.Protocol;

namespace OrleansGate.Edge.Postgres;

/// <summary>A PostgreSQL CancelRequest for one upstream backend, sent on a connection of its own as libpq's PQcancel sends it.</summary>
internal static class UpstreamCancel
{
    /// <summary>
    /// Connects to the target and sends CancelRequest with the backend's own process id and secret key, within
    /// <paramref name="timeout"/>. PostgreSQL signals only the backend whose process id and secret both match: a cancel
    /// never reaches another session, not even one that reused the process id of a backend that has exited.
    /// </summary>
    /// <remarks>
    /// It does not wait for the target to close the connection, as libpq's PQcancel does: libpq waits so that the cancel
    /// cannot land on the connection's next statement, and the gateway sends no next statement on a connection it
    /// cancels for (a client's own cancel is its client's to sequence; a session's end closes it). The bytes written are
    /// delivered even if this process exits next, and a target that never closes the connection (a stand-in, a
    /// misbehaving server) cannot hold the caller up.
    /// </remarks>
    /// <exception cref="SocketException">The target could not be reached.</exception>
    /// <exception cref="OperationCanceledException">The target did not take the cancel within <paramref name="timeout"/>.</exception>
    public static async Task SendAsync(CancelTarget target, TimeSpan timeout, TimeProvider time)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var deadline = new CancellationTokenSource(timeout, time);
        await socket.ConnectAsync(target.Host, target.Port, deadline.Token).ConfigureAwait(false);
        var request = new ArrayBufferWriter<byte>(16);
        FrontendWriter.CancelRequest(request, target.UpstreamProcessId, target.UpstreamSecretKey);
        await socket.SendAsync(request.WrittenMemory, SocketFlags.None, deadline.Token).ConfigureAwait(false);
    }
}
