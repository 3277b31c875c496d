using System.Reflection;
using Renci.SshNet;

namespace OrleansGate.Edge.Ssh;

/// <summary>
/// Ends a running command's stdin at once (SSH <c>channel EOF</c>): agents send no input, and a command that reads it
/// (<c>cat</c>, <c>grep pattern</c> without a file) should see its end rather than wait for its time limit.
/// </summary>
/// <remarks>
/// SSH.NET sends EOF only when the input stream it hands out has carried at least one byte (its ChannelInputStream's
/// Dispose), and offers no other way; so the command's channel is reached by reflection, with the field and method names
/// of the SSH.NET version pinned in Directory.Packages.props. When they are not found (another version), nothing is sent
/// and the command waits on stdin until its time limit: SshThroughGatewayTests.A_command_that_reads_stdin_sees_its_end_at_once
/// fails then.
/// </remarks>
internal static class SshStdin
{
    private static readonly FieldInfo? Channel = typeof(SshCommand).GetField("_channel", BindingFlags.Instance | BindingFlags.NonPublic);

    /// <summary>Sends EOF on <paramref name="command"/>'s channel; false when it could not.</summary>
    public static bool Close(SshCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var channel = Channel?.GetValue(command);
        var sendEof = channel?.GetType().GetMethod("SendEof", BindingFlags.Instance | BindingFlags.Public, Type.EmptyTypes);
        if (channel is null || sendEof is null)
        {
            return false;
        }

        sendEof.Invoke(channel, null);
        return true;
    }
}
