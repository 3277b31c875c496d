using System.Globalization;
using System.Text.Json.Nodes;

namespace OrleansGate.KubernetesApiStandIn.Pods;

/// <summary>How a command ended, and the <c>Status</c> the kubelet sends for it on the error channel: Success for
/// exit 0; for another exit code, Failure with reason <c>NonZeroExitCode</c> and an <c>ExitCode</c> cause, which
/// kubectl turns into its own exit code; for a command that could not start, Failure with <c>InternalError</c>.</summary>
internal sealed record ExecOutcome(int ExitCode, string? StartFailure = null)
{
    public static ExecOutcome Success { get; } = new(0);

    public static ExecOutcome NotFound(string command) =>
        new(127, $"exec: \"{command}\": executable file not found in $PATH: command not found");

    public JsonObject ToStatus(IReadOnlyList<string> command)
    {
        if (StartFailure is not null)
        {
            return new JsonObject
            {
                ["metadata"] = new JsonObject(),
                ["status"] = "Failure",
                ["message"] = StartFailure,
                ["reason"] = "InternalError",
                ["details"] = new JsonObject { ["causes"] = new JsonArray(new JsonObject { ["message"] = StartFailure }) },
                ["code"] = 500,
            };
        }

        if (ExitCode == 0)
        {
            return new JsonObject { ["metadata"] = new JsonObject(), ["status"] = "Success" };
        }

        return new JsonObject
        {
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = $"command terminated with non-zero exit code: error executing command [{string.Join(' ', command)}], exit code {ExitCode}",
            ["reason"] = "NonZeroExitCode",
            ["details"] = new JsonObject
            {
                ["causes"] = new JsonArray(new JsonObject { ["reason"] = "ExitCode", ["message"] = ExitCode.ToString(CultureInfo.InvariantCulture) }),
            },
        };
    }
}
