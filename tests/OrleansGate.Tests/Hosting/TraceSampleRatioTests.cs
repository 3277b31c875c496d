using OrleansGate.Host.Hosting;

namespace OrleansGate.Tests.Hosting;

public sealed class TraceSampleRatioTests
{
    [Theory]
    [InlineData(null, 1.0)]
    [InlineData("", 1.0)]
    [InlineData("0", 0.0)]
    [InlineData("0.05", 0.05)]
    [InlineData("1", 1.0)]
    public void A_ratio_from_0_to_1_is_taken_and_none_means_every_trace(string? configured, double expected) =>
        Assert.Equal(expected, GatewayHost.TraceSampleRatio(configured));

    [Theory]
    [InlineData("-0.1")]
    [InlineData("1.5")]
    [InlineData("NaN")]
    [InlineData("half")]
    [InlineData("0,5")]
    public void Anything_else_stops_the_node_with_the_setting_named(string configured)
    {
        var error = Assert.Throws<InvalidOperationException>(() => GatewayHost.TraceSampleRatio(configured));
        Assert.Contains("OrleansGate:Telemetry:TraceSampleRatio", error.Message, StringComparison.Ordinal);
        Assert.Contains(configured, error.Message, StringComparison.Ordinal);
    }
}
