namespace OrleansGate.Host.Commands;

/// <summary>How to start this same <c>orleansgate</c> again from elsewhere (kubectl's exec credential plugin): a command
/// with absolute path and the arguments that come before the verb (the dll, when it runs under <c>dotnet</c>).</summary>
public sealed record ExecutableInvocation(string Command, IReadOnlyList<string> Arguments)
{
    private const string AppHostName = "orleansgate";

    /// <summary>The invocation of the running executable.</summary>
    public static ExecutableInvocation Current() =>
        Resolve(Environment.ProcessPath, typeof(ExecutableInvocation).Assembly.Location, Environment.GetEnvironmentVariable("DOTNET_HOST_PATH"), File.Exists);

    internal static ExecutableInvocation Resolve(string? processPath, string assemblyPath, string? dotnetHostPath, Func<string, bool> exists)
    {
        // Started as the apphost (the image's entry point, a published single file): start it again.
        if (processPath is not null && IsNamed(processPath, AppHostName))
        {
            return new(Path.GetFullPath(processPath), []);
        }

        // Started as `dotnet orleansgate.dll`: the same host with the same dll.
        if (processPath is not null && IsNamed(processPath, "dotnet") && assemblyPath.Length > 0)
        {
            return new(Path.GetFullPath(processPath), [assemblyPath]);
        }

        // Hosted by another process (tests run the verbs in-process): the apphost the build puts next to
        // orleansgate.dll, else the dotnet host that started this process, with the dll.
        var directory = Path.GetDirectoryName(assemblyPath);
        var appHost = directory is null ? null : Path.Combine(directory, OperatingSystem.IsWindows() ? AppHostName + ".exe" : AppHostName);
        if (appHost is not null && exists(appHost))
        {
            return new(appHost, []);
        }

        return assemblyPath.Length > 0 && dotnetHostPath is { Length: > 0 }
            ? new(dotnetHostPath, [assemblyPath])
            : throw new InvalidOperationException("cannot tell how this orleansgate was started (no apphost next to orleansgate.dll and no dotnet host)");
    }

    private static bool IsNamed(string path, string name) =>
        string.Equals(Path.GetFileNameWithoutExtension(path), name, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
}
