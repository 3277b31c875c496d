using OrleansGate.Policy.Loading;
using OrleansGate.Policy.Model;

namespace OrleansGate.Policy.Tests;

/// <summary>Policies shared by the evaluation tests.</summary>
internal static class PolicyTestPolicies
{
    public static PolicyIdentity Agent { get; } = new("agent-1", ["agents"]);

    /// <summary>Only pure reads (and transaction control) for group agents; nothing else.</summary>
    public static CompiledPolicy ReadOnly { get; } = PolicyLoader.Load(
        """
        version: ro-1
        rules:
          - name: agents-read
            effect: allow
            reason: agents may read
            match:
              groups: [agents]
              kinds: [read]
        """,
        "read-only.yaml");

    public static string SamplePath { get; } = Path.Combine(RepoRoot(), "deploy", "local", "policy.yaml");

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "OrleansGate.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }
}
