namespace OrleansGate.KubernetesApiStandIn.Tests;

/// <summary>A fresh stand-in per test, a temp directory, and a kubeconfig for it that kubectl and
/// KubernetesClient both read.</summary>
public abstract class StandInTest : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("standin-").FullName;

    protected KubernetesApiStandIn StandIn { get; private set; } = null!;

    protected string KubeconfigPath => Path.Combine(_directory, "kubeconfig");

    protected string WorkDirectory => _directory;

    internal Kubectl Kubectl => new(KubeconfigPath, _directory);

    public async Task InitializeAsync()
    {
        StandIn = await KubernetesApiStandIn.StartAsync(new KubernetesApiStandInOptions { BearerToken = "gateway-upstream-token" });
        await File.WriteAllTextAsync(KubeconfigPath, StandIn.Kubeconfig());
    }

    public async Task DisposeAsync()
    {
        await StandIn.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    protected string WriteFile(string name, string text)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, text);
        return path;
    }
}
