using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace OrleansGate.IntegrationTests.Infrastructure;

/// <summary>
/// A loopback port that is free now, for a server a test starts a moment later. Taken below Linux's ephemeral range
/// (32768–60999 by default): a port the kernel handed out for port 0 and that was released again can be given to the
/// next outgoing connection (any Npgsql or Orleans client) before the server binds it, which failed tests with
/// "address already in use". Each test process starts at its own random place in the range and counts up, and a port
/// found taken is skipped.
/// </summary>
/// <remarks>
/// Two test runs on one machine (two clones, or a run beside a benchmark) once walked the same stretch of the range
/// together: each found a port free, the other's server had not bound it yet, and whole collections failed with
/// "address already in use". So a port is also reserved across processes before it is handed out: a file created
/// exclusively in <see cref="Reservations"/> that names the process; another process skips a port whose holder is alive,
/// and takes over one whose holder has exited.
/// </remarks>
public static class FreePort
{
    private const int First = 20_000;
    private const int Count = 12_000;
    private static readonly string Reservations = Path.Combine(Path.GetTempPath(), "orleansgate-test-ports");
    private static int _next = Random.Shared.Next(Count);

    public static int Next()
    {
        Directory.CreateDirectory(Reservations);
        for (var attempt = 0; attempt < Count; attempt++)
        {
            var port = First + (int)((uint)Interlocked.Increment(ref _next) % Count);
            if (!Reserve(port))
            {
                continue; // another test process has it
            }

            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken by a process that does not reserve (a server started by a script): try the next one.
            }
        }

        throw new InvalidOperationException($"no free loopback port between {First} and {First + Count - 1}");
    }

    /// <summary>True when this process holds <paramref name="port"/>'s reservation now.</summary>
    private static bool Reserve(int port)
    {
        var path = Path.Combine(Reservations, port.ToString(CultureInfo.InvariantCulture));
        var self = Environment.ProcessId;
        try
        {
            using var created = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
            created.Write(Encoding.ASCII.GetBytes(self.ToString(CultureInfo.InvariantCulture)));
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            // Held by a live process (another run, or this one after a wrap of the range), or left by a run that ended.
            string text;
            try
            {
                text = File.ReadAllText(path, Encoding.ASCII);
            }
            catch (IOException)
            {
                return false;
            }

            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var holder))
            {
                // Just created, its holder not written yet; or a write that never finished, long ago.
                if (DateTime.UtcNow - File.GetLastWriteTimeUtc(path) < TimeSpan.FromMinutes(1))
                {
                    return false;
                }
            }
            else if (holder == self)
            {
                return true;
            }
            else if (Directory.Exists($"/proc/{holder}"))
            {
                return false;
            }

            File.WriteAllText(path, self.ToString(CultureInfo.InvariantCulture), Encoding.ASCII);
            return true;
        }
    }
}
