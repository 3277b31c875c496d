using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OrleansGate.Host.Hosting;

namespace OrleansGate.IntegrationTests.Gateway;

/// <summary>Orleans' own chatter is held to Warning; the gateway's Information lines (sessions, policy versions) are not.</summary>
public sealed class LogFilterTests
{
    [Fact]
    public async Task Gateway_information_is_logged_and_orleans_information_is_not()
    {
        await using var app = GatewayHost.Build(GatewayRole.Silo, [], config => config.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["OrleansGate:StateDatabase"] = "Host=127.0.0.1;Port=1;Database=unused;Username=unused;Password=unused",
        }));
        var loggers = app.Services.GetRequiredService<ILoggerFactory>();

        Assert.True(loggers.CreateLogger("OrleansGate.Edge.Postgres.PostgresSession").IsEnabled(LogLevel.Information));
        Assert.True(loggers.CreateLogger("OrleansGate.Grains.Policy.PolicyCache").IsEnabled(LogLevel.Information));
        Assert.False(loggers.CreateLogger("Orleans.Runtime.Silo").IsEnabled(LogLevel.Information));
        Assert.True(loggers.CreateLogger("Orleans.Runtime.Silo").IsEnabled(LogLevel.Warning));
    }
}
