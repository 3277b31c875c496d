using System.Diagnostics;

namespace OrleansGate.KubernetesApiStandIn.Clients;

/// <summary>The real <c>kubectl</c> binary with a kubeconfig and discovery cache of the test's own, so tests
/// neither read nor write the user's <c>~/.kube</c>.</summary>
public sealed class Kubectl(string kubeconfigPath, string workDirectory)
{
    /// <summary>Bounds a kubectl that should exit by itself.</summary>
    public static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(20);

    /// <summary>Bounds the wait for a line from a kubectl that keeps streaming.</summary>
    public static readonly TimeSpan LineTimeout = TimeSpan.FromSeconds(15);

    public async Task<KubectlResult> RunAsync(params string[] args)
    {
        await using var process = Start(args);
        return await process.WaitForExitAsync(ExitTimeout);
    }

    public async Task<KubectlResult> RunWithInputAsync(string input, params string[] args)
    {
        await using var process = Start(args, redirectInput: true);
        await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        return await process.WaitForExitAsync(ExitTimeout);
    }

    public KubectlProcess Start(string[] args, bool redirectInput = false)
    {
        var start = new ProcessStartInfo("kubectl")
        {
            RedirectStandardInput = redirectInput,
            WorkingDirectory = workDirectory,
        };
        start.ArgumentList.Add("--kubeconfig");
        start.ArgumentList.Add(kubeconfigPath);
        start.ArgumentList.Add("--cache-dir");
        start.ArgumentList.Add(Path.Combine(workDirectory, "cache"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["HOME"] = workDirectory;
        start.Environment.Remove("KUBECONFIG");
        return new KubectlProcess(start);
    }
}
