using System.Globalization;

namespace OrleansGate.IntegrationTests.Protocol;

/// <summary>The two variables that scale and vary the fuzz runs (shared with the codec fuzz of the protocol library).</summary>
internal static class FuzzSettings
{
    public const string IterationsVariable = "ORLEANSGATE_FUZZ_ITERATIONS";
    public const string SeedVariable = "ORLEANSGATE_FUZZ_SEED";

    /// <summary>Codec streams (default 100,000); the socket runs take a fraction of it.</summary>
    public static int Iterations =>
        int.TryParse(Environment.GetEnvironmentVariable(IterationsVariable), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 100_000;

    /// <summary>Another mutation sequence; fixed by default so CI repeats itself.</summary>
    public static int Seed =>
        int.TryParse(Environment.GetEnvironmentVariable(SeedVariable), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seed) ? seed : 20261129;

    /// <summary>Appended to every failure, so it can be replayed.</summary>
    public static string Replay(int seed) => $"(seed {seed}; replay with {SeedVariable}={seed})";
}
