using System.Text;

namespace OrleansGate.KubernetesApiStandIn.Pods;

/// <summary>
/// What "runs" in a stand-in container, deterministically: <c>echo ARGS…</c> prints its arguments and a line
/// feed; <c>cat</c> copies stdin to stdout until stdin ends; <c>true</c> exits 0; <c>false</c> exits 1; any other
/// command cannot start ("command not found"). There is no shell: <c>sh -c …</c> is not found either.
/// </summary>
internal static class FakeCommands
{
    public static async Task<ExecOutcome> RunAsync(IReadOnlyList<string> command, ExecConnection connection, CancellationToken cancellationToken)
    {
        switch (command[0])
        {
            case "echo":
                var text = string.Join(' ', command.Skip(1)) + "\n";
                await connection.SendAsync(StreamChannel.Stdout, Encoding.UTF8.GetBytes(text), cancellationToken).ConfigureAwait(false);
                return ExecOutcome.Success;
            case "cat":
                await foreach (var chunk in connection.Stdin.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                {
                    await connection.SendAsync(StreamChannel.Stdout, chunk, cancellationToken).ConfigureAwait(false);
                }

                return ExecOutcome.Success;
            case "true":
                return ExecOutcome.Success;
            case "false":
                return new ExecOutcome(1);
            default:
                return ExecOutcome.NotFound(command[0]);
        }
    }
}
