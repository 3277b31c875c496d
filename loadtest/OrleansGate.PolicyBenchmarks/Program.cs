using BenchmarkDotNet.Running;

namespace OrleansGate.PolicyBenchmarks;

internal static class Program
{
    private static void Main(string[] args) =>
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
