using System.Net;
using System.Net.Sockets;

namespace OrleansGate.IntegrationTests.Infrastructure;

/// <summary>
/// A loopback port that is free now, for a server a test starts a moment later. Taken below Linux's ephemeral range
/// (32768–60999 by default): a port the kernel handed out for port 0 and that was released again can be given to the
/// next outgoing connection (any Npgsql or Orleans client) before the server binds it, which failed tests with
/// "address already in use". Each test process starts at its own random place in the range and counts up, so the
/// processes of one run rarely meet, and a port found taken is skipped.
/// </summary>
public static class FreePort
{
    private const int First = 20_000;
    private const int Count = 12_000;
    private static int _next = Random.Shared.Next(Count);

    public static int Next()
    {
        for (var attempt = 0; attempt < Count; attempt++)
        {
            var port = First + (int)((uint)Interlocked.Increment(ref _next) % Count);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken by another process (or another test's server): try the next one.
            }
        }

        throw new InvalidOperationException($"no free loopback port between {First} and {First + Count - 1}");
    }
}
