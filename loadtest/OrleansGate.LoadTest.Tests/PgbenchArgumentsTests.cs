namespace OrleansGate.LoadTest.Tests;

public sealed class PgbenchArgumentsTests
{
    private static readonly TargetSpec Store = new() { Name = "audit-store", Host = "127.0.0.1", Port = 5433, Database = "orleansgate_state" };

    [Fact]
    public void A_script_job_with_one_client_logs_every_transaction_and_skips_vacuum()
    {
        var job = new PgbenchJob("commit", ["-f", "/tmp/insert.sql", "-M", "prepared"]) { SamplingRate = 1 };

        var args = PgbenchRunner.Arguments(job, Store, "postgres", 1, TimeSpan.FromSeconds(10), "/tmp/log");

        Assert.Equal(
            ["-n", "-f", "/tmp/insert.sql", "-M", "prepared", "-c", "1", "-j", "1", "-T", "10", "-l", "--sampling-rate=1", "--log-prefix=/tmp/log", "-h", "127.0.0.1", "-p", "5433", "-U", "postgres", "orleansgate_state"],
            args);
    }

    [Fact]
    public void Select_only_job_keeps_the_suite_s_sampling_rate()
    {
        var args = PgbenchRunner.Arguments(PgbenchJob.SelectOnly("simple"), Store, "bench", 64, TimeSpan.FromSeconds(8), "/tmp/log");

        Assert.Equal(["-n", "-S", "-M", "simple", "-c", "64"], args.Take(6));
        Assert.Contains("--sampling-rate=" + PgbenchRunner.LogSamplingRate.ToString(System.Globalization.CultureInfo.InvariantCulture), args);
    }
}
