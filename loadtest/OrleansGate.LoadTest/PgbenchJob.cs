namespace OrleansGate.LoadTest;

/// <summary>
/// What pgbench runs: its name in the report, the transaction arguments (<c>-S -M simple</c>, or <c>-f SCRIPT</c>),
/// the share of transactions it logs for percentiles and server options for the session (<c>PGOPTIONS</c>).
/// </summary>
public sealed record PgbenchJob(string Name, IReadOnlyList<string> Arguments)
{
    public double SamplingRate { get; init; } = PgbenchRunner.LogSamplingRate;

    public string? ServerOptions { get; init; }

    public static PgbenchJob SelectOnly(string mode) => new(PgbenchRunner.Name(mode), ["-S", "-M", mode]);
}
