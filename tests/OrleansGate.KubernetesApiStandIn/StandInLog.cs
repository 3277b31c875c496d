using Microsoft.Extensions.Logging;

namespace OrleansGate.KubernetesApiStandIn;

internal static partial class StandInLog
{
    [LoggerMessage(Level = LogLevel.Error, Message = "Stand-in failed on {Method} {Path}")]
    public static partial void RequestFailed(ILogger logger, Exception exception, string method, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Exec in {Namespace}/{Pod} over {Subprotocol}: {Command}")]
    public static partial void ExecStarted(ILogger logger, string? @namespace, string pod, string subprotocol, string command);

    [LoggerMessage(Level = LogLevel.Information, Message = "Exec in {Namespace}/{Pod} ended with exit code {ExitCode}")]
    public static partial void ExecEnded(ILogger logger, string? @namespace, string pod, int exitCode);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Exec in {Namespace}/{Pod}: connection lost")]
    public static partial void ExecConnectionLost(ILogger logger, Exception exception, string? @namespace, string pod);
}
