using OrleansGate.Audit;

namespace OrleansGate.Audit.Tests;

public sealed class AuditOptionsTests
{
    private static AuditOptions Valid() => new() { SigningKeyPath = "/keys/signing.key" };

    [Fact]
    public void Defaults_with_a_signing_key_are_accepted()
    {
        Assert.Null(Valid().Problem());
        Assert.Equal(TimeSpan.FromMilliseconds(250), Valid().SignInterval);
    }

    [Theory]
    [InlineData("no key", "OrleansGate:Audit:SigningKeyPath is not set")]
    [InlineData("hmac key", "OrleansGate:Audit:CheckpointKeyPath (an HMAC key) is no longer used")]
    [InlineData("slow signing", "SignInterval must be more than 0 and at most 1 second")]
    [InlineData("no signing", "SignInterval must be more than 0 and at most 1 second")]
    [InlineData("unsigned age", "MaxUnsignedAge must be at least twice SignInterval")]
    [InlineData("no writers", "MaxBatchSize, Writers and QueueCapacity must be at least 1")]
    [InlineData("no seal checks", "SealCheckInterval must be positive")]
    public void A_setting_out_of_bounds_stops_the_node_with_a_message_naming_it(string change, string message)
    {
        var options = Valid();
        switch (change)
        {
            case "no key": options.SigningKeyPath = " "; break;
            case "hmac key": options.CheckpointKeyPath = "/keys/checkpoint.key"; break;
            case "slow signing": options.SignInterval = TimeSpan.FromSeconds(2); break;
            case "no signing": options.SignInterval = TimeSpan.Zero; break;
            case "unsigned age": options.MaxUnsignedAge = TimeSpan.FromMilliseconds(400); break;
            case "no writers": options.Writers = 0; break;
            default: options.SealCheckInterval = TimeSpan.Zero; break;
        }

        Assert.Contains(message, options.Problem(), StringComparison.Ordinal);
    }
}
