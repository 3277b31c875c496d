using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using OrleansGate.Host.Hosting;
using OrleansGate.IntegrationTests.Fixtures;

namespace OrleansGate.IntegrationTests.Protocol;

/// <summary>
/// The listener before login: TLS negotiation edge cases, the authentication timeout during a handshake, the bound
/// on connections still logging in, and settings refused at start. One edge with TLS (plain text also allowed), a
/// short authentication timeout and room for only <see cref="PendingLoginLimit"/> logins at once.
/// </summary>
[Collection(ProtocolCollection.Name)]
public sealed class ListenerHardeningTests(GatewayFixture fixture) : IAsyncLifetime
{
    private const int PendingLoginLimit = 3;
    private static readonly TimeSpan AuthenticationTimeout = TimeSpan.FromSeconds(3);
    private static readonly byte[] SslRequest = Wire.Packet(Wire.Int32((1234 << 16) | 5679));
    private static readonly byte[] GssEncRequest = Wire.Packet(Wire.Int32((1234 << 16) | 5680));
    private static readonly byte[] ValidStartup = Wire.Startup("user", GatewaySettings.AgentClientId, "database", GatewaySettings.TargetName);

    private readonly TestCertificates _certificates = TestCertificates.Create();
    private GatewayNode _edge = null!;

    private int Port => _edge.Settings.PostgresPort;

    public async Task InitializeAsync()
    {
        _edge = await GatewayNode.StartAsync(
            fixture.Settings.OtherNode("hardening-edge", new Dictionary<string, string?>
            {
                ["OrleansGate:Postgres:Insecure"] = "true",
                ["OrleansGate:Postgres:Tls:CertificatePath"] = _certificates.CertificatePath,
                ["OrleansGate:Postgres:Tls:KeyPath"] = _certificates.KeyPath,
                ["OrleansGate:Postgres:AuthenticationTimeout"] = AuthenticationTimeout.ToString("c", CultureInfo.InvariantCulture),
                ["OrleansGate:Postgres:MaxConnectionsAwaitingAuthentication"] = PendingLoginLimit.ToString(CultureInfo.InvariantCulture),
            }),
            GatewayRole.Edge);
    }

    public async Task DisposeAsync() => await _edge.DisposeAsync();

    [Theory]
    [InlineData("nothing after the S")]
    [InlineData("half a ClientHello")]
    public async Task Authentication_timeout_during_the_TLS_handshake_closes_without_writing_plain_text(string sent)
    {
        var started = DateTimeOffset.UtcNow;
        await using (var client = await WireClient.ConnectAsync(Port))
        {
            await client.SendAsync(SslRequest);
            Assert.Equal('S', await client.ReadByteAsync());
            if (sent == "half a ClientHello")
            {
                // A TLS handshake record header announcing 512 bytes, and then nothing.
                await client.SendAsync([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]);
            }

            // A plain-text ErrorResponse here would be written into the client's TLS handshake.
            Assert.Empty(await client.ReadToEndAsync());
        }

        Assert.True(DateTimeOffset.UtcNow - started >= AuthenticationTimeout - TimeSpan.FromMilliseconds(100));
        await AssertLoginWorksAsync();
    }

    [Fact]
    public async Task Idle_after_a_completed_TLS_handshake_gets_fatal_08P01_through_TLS_after_the_timeout()
    {
        var started = DateTimeOffset.UtcNow;
        await using (var client = await WireClient.ConnectTlsAsync(Port))
        {
            var error = await client.ReadErrorAsync();
            Assert.NotNull(error);
            Assert.Equal("08P01", error['C']);
            Assert.Contains("canceling authentication due to timeout", error['M'], StringComparison.Ordinal);
        }

        Assert.True(DateTimeOffset.UtcNow - started >= AuthenticationTimeout - TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task Plain_text_sent_after_the_S_answer_is_refused_with_08P01_in_plain_text()
    {
        await using (var client = await WireClient.ConnectAsync(Port))
        {
            await client.SendAsync(SslRequest);
            Assert.Equal('S', await client.ReadByteAsync());
            await client.SendAsync(ValidStartup);
            var error = await client.ReadErrorAsync();
            Assert.NotNull(error);
            Assert.Equal("FATAL", error['S']);
            Assert.Equal("08P01", error['C']);
            Assert.Contains("received unencrypted data after SSL request", error['M'], StringComparison.Ordinal);
            Assert.Equal('\0', (await client.ReadAsync()).Code);
        }

        await AssertLoginWorksAsync();
    }

    [Theory]
    [InlineData("SSLRequest", "SSL request received twice")]
    [InlineData("GSSENCRequest", "GSSAPI encryption request received twice")]
    public async Task A_repeated_negotiation_request_gets_fatal_08P01(string request, string message)
    {
        // The main node has no TLS: the first request is answered 'N', as PostgreSQL does; it answers each only once.
        var bytes = request == "SSLRequest" ? SslRequest : GssEncRequest;
        await using (var client = await WireClient.ConnectAsync(fixture.Node.Settings.PostgresPort))
        {
            await client.SendAsync(bytes);
            Assert.Equal('N', await client.ReadByteAsync());
            await client.SendAsync(bytes);
            var error = await client.ReadErrorAsync();
            Assert.NotNull(error);
            Assert.Equal("08P01", error['C']);
            Assert.Contains(message, error['M'], StringComparison.Ordinal);
            Assert.Equal('\0', (await client.ReadAsync()).Code);
        }
    }

    [Fact]
    public async Task GSSENCRequest_then_SSLRequest_falls_back_to_TLS_and_logs_in_as_libpq_does()
    {
        using var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync("127.0.0.1", Port);
        var stream = tcp.GetStream();
        var answer = new byte[1];
        await stream.WriteAsync(GssEncRequest);
        await stream.ReadExactlyAsync(answer);
        Assert.Equal((byte)'N', answer[0]);
        await stream.WriteAsync(SslRequest);
        await stream.ReadExactlyAsync(answer);
        Assert.Equal((byte)'S', answer[0]);

        await using var tls = new SslStream(stream, false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" });

        // A second SSLRequest inside TLS is a protocol violation, answered through TLS.
        await tls.WriteAsync(SslRequest);
        var reply = new byte[5];
        await tls.ReadExactlyAsync(reply);
        Assert.Equal((byte)'E', reply[0]);
    }

    [Fact]
    public async Task Connections_beyond_the_pending_login_limit_get_fatal_53300_and_the_limit_frees_up()
    {
        var waiting = new List<WireClient>();
        try
        {
            for (var i = 0; i < PendingLoginLimit; i++)
            {
                var client = await WireClient.ConnectAsync(Port);
                waiting.Add(client);
                await client.SendAsync(ValidStartup);
                Assert.Equal('R', (await client.ReadAsync()).Code); // Logging in: the password is awaited.
            }

            await using var refused = await WireClient.ConnectAsync(Port);
            var error = await refused.ReadErrorAsync();
            Assert.NotNull(error);
            Assert.Equal("FATAL", error['S']);
            Assert.Equal("53300", error['C']);
            Assert.Contains("too many connections awaiting authentication", error['M'], StringComparison.Ordinal);
            Assert.Equal('\0', (await refused.ReadAsync()).Code);
        }
        finally
        {
            foreach (var client in waiting)
            {
                await client.DisposeAsync();
            }
        }

        // The places are given back once the gateway sees those sockets close (asynchronously): poll for a login.
        var token = await fixture.Node.GetTokenAsync();
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            await using var client = await WireClient.ConnectAsync(Port);
            await client.SendAsync(ValidStartup);
            var first = await client.ReadAsync();
            if (first.Code == 'R')
            {
                break;
            }

            Assert.True(first.Code == 'E' && Wire.Fields(first.Payload)['C'] == "53300", $"unexpected answer '{first.Code}'");
            Assert.True(DateTimeOffset.UtcNow < deadline, "the pending-login places were not given back after the sockets closed");
        }

        await AssertLoginWorksAsync(token);
    }

    public static TheoryData<string, string, string> InvalidSettings => new()
    {
        { "MaxMessageLength", "3", "OrleansGate:Postgres:MaxMessageLength 3 must be between" },
        { "MaxMessageLengthBeforeAuthentication", "-1", "OrleansGate:Postgres:MaxMessageLengthBeforeAuthentication -1 must be between" },
        { "MaxUpstreamMessageLength", "2147483647", "OrleansGate:Postgres:MaxUpstreamMessageLength 2147483647 must be between" },
        { "AuthenticationTimeout", "-00:00:01", "OrleansGate:Postgres:AuthenticationTimeout -00:00:01 must be positive" },
        { "AuthenticationTimeout", "00:00:00", "OrleansGate:Postgres:AuthenticationTimeout 00:00:00 must be positive" },
        { "MaxConnectionsAwaitingAuthentication", "0", "OrleansGate:Postgres:MaxConnectionsAwaitingAuthentication 0 must be at least 1" },
        { "TokenExpiryGrace", "-00:01:00", "OrleansGate:Postgres:TokenExpiryGrace -00:01:00 must not be negative" },
        { "MaxMessageLength", "65536", "OrleansGate:Postgres:MaxMessageLength 65536 must be at least MaxMessageLengthBeforeAuthentication 1048576" },
    };

    [Theory]
    [MemberData(nameof(InvalidSettings))]
    public async Task An_edge_with_an_invalid_listener_setting_refuses_to_start_and_names_it(string setting, string value, string expected)
    {
        var settings = fixture.Settings.OtherNode("invalid-edge", new Dictionary<string, string?> { [$"OrleansGate:Postgres:{setting}"] = value });
        var error = await Assert.ThrowsAsync<OptionsValidationException>(async () => await (await GatewayNode.StartAsync(settings, GatewayRole.Edge)).DisposeAsync());
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_edge_with_neither_TLS_nor_Insecure_refuses_to_start()
    {
        var settings = fixture.Settings.OtherNode("no-tls-edge", new Dictionary<string, string?> { ["OrleansGate:Postgres:Insecure"] = "false" });
        var error = Assert.Throws<InvalidOperationException>(
            () => GatewayHost.Build(GatewayRole.Edge, [], config => config.AddInMemoryCollection(settings.ToConfiguration())));
        Assert.Contains("Tls:CertificatePath and KeyPath are not set", error.Message, StringComparison.Ordinal);
    }

    private async Task AssertLoginWorksAsync(string? token = null)
    {
        await using var next = await WireClient.LoginAsync(Port, token ?? await fixture.Node.GetTokenAsync());
        await next.SendAsync(Wire.Message('Q', Wire.CString("SELECT 'still serving'")));
        var answer = await next.ReadUntilReadyAsync();
        Assert.Contains(answer, m => m.Code == 'D' && System.Text.Encoding.UTF8.GetString(m.Payload).Contains("still serving", StringComparison.Ordinal));
    }
}
