using System.Buffers;
using System.Net.Sockets;
using OrleansGate.Postgres.Protocol;

namespace OrleansGate.Edge.Postgres;

/// <summary>A PostgreSQL CancelRequest for one upstream backend, sent on a connection of its own as libpq's PQcancel sends it.</summary>
internal static class UpstreamCancel
{
    /// <summary>
    /// Connects to the target, sends CancelRequest with the backend's own process id and secret key, and waits until the
    /// target closes the connection, all within <paramref name="timeout"/>. The target closes it once it has signalled the
    /// backend (libpq waits for this too), so a return means the cancel was delivered, not merely written to a socket.
    /// PostgreSQL signals only the backend whose process id and secret both match: a cancel never reaches another session,
    /// not even one that reused the process id of a backend that has exited.
    /// </summary>
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

        // The target answers nothing; it closes the connection once the request is handled.
        var drain = new byte[16];
        while (await socket.ReceiveAsync(drain, SocketFlags.None, deadline.Token).ConfigureAwait(false) > 0)
        {
        }
    }
}
