using System.Buffers.Binary;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Npgsql;
using OrleansGate.Host.Hosting;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.IntegrationTests.Infrastructure;

namespace OrleansGate.IntegrationTests.Protocol;

/// <summary>TLS on the PostgreSQL listener: an edge node with a test CA's certificate and plain text refused.</summary>
[Collection(ProtocolCollection.Name)]
public sealed class TlsTests(GatewayFixture fixture) : IAsyncLifetime
{
    private readonly TestCertificates _certificates = TestCertificates.Create();
    private GatewayNode _edge = null!;

    private int Port => _edge.Settings.PostgresPort;

    public async Task InitializeAsync()
    {
        _edge = await GatewayNode.StartAsync(
            fixture.Settings.OtherNode("tls-edge", new Dictionary<string, string?>
            {
                ["OrleansGate:Postgres:Insecure"] = "false",
                ["OrleansGate:Postgres:Tls:CertificatePath"] = _certificates.CertificatePath,
                ["OrleansGate:Postgres:Tls:KeyPath"] = _certificates.KeyPath,
            }),
            GatewayRole.Edge);
    }

    public async Task DisposeAsync() => await _edge.DisposeAsync();

    private string ConnectionString(string token, string sslMode) =>
        $"Host=localhost;Port={Port};Database={GatewaySettings.TargetName};Username={GatewaySettings.AgentClientId};Password={token};" +
        $"SSL Mode={sslMode};Root Certificate={_certificates.CaPath};Pooling=false;Timeout=15;Command Timeout=30";

    [Theory]
    [InlineData("Require")]
    [InlineData("VerifyFull")]
    public async Task Npgsql_over_TLS_runs_queries(string sslMode)
    {
        await using var connection = new NpgsqlConnection(ConnectionString(await fixture.Node.GetTokenAsync(), sslMode));
        await connection.OpenAsync();
        // No IsSecure in this Npgsql: the node refuses plain text, so a working query proves TLS.
        await using var command = new NpgsqlCommand("SELECT name FROM customers WHERE id = $1", connection) { Parameters = { new() { Value = 1 } } };
        Assert.Equal("Ada Lovelace", await command.ExecuteScalarAsync());
    }

    [Theory]
    [InlineData("require")]
    [InlineData("verify-full")]
    public async Task Psql_over_TLS_runs_queries(string sslMode)
    {
        var result = await ExternalCommand.RunAsync(
            "psql",
            [$"host=localhost port={Port} dbname={GatewaySettings.TargetName} user={GatewaySettings.AgentClientId} sslmode={sslMode} sslrootcert={_certificates.CaPath}",
                "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", "SELECT count(*) FROM orders"],
            TimeSpan.FromSeconds(60),
            environment: new Dictionary<string, string> { ["PGPASSWORD"] = await fixture.Node.GetTokenAsync(), ["PGCONNECT_TIMEOUT"] = "15" });
        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.Equal("3\n", result.StandardOutput);
    }

    [Fact]
    public async Task Psql_verify_full_refuses_a_certificate_from_another_CA()
    {
        var other = TestCertificates.Create();
        var result = await ExternalCommand.RunAsync(
            "psql",
            [$"host=localhost port={Port} dbname={GatewaySettings.TargetName} user={GatewaySettings.AgentClientId} sslmode=verify-full sslrootcert={other.CaPath}",
                "-X", "-A", "-t", "-c", "SELECT 1"],
            TimeSpan.FromSeconds(60),
            environment: new Dictionary<string, string> { ["PGPASSWORD"] = await fixture.Node.GetTokenAsync(), ["PGCONNECT_TIMEOUT"] = "15" });
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("certificate verify failed", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plain_text_startup_is_refused_with_28000()
    {
        await using var connection = new NpgsqlConnection(ConnectionString(await fixture.Node.GetTokenAsync(), "Disable"));
        var error = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());
        Assert.Equal("28000", error.SqlState);
        Assert.Contains("plain-text connections are refused", error.MessageText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bytes_sent_after_SSLRequest_before_the_handshake_are_refused_with_08P01()
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", Port);
        var stream = tcp.GetStream();

        // SSLRequest and a StartupMessage in one write: the StartupMessage was never protected by TLS.
        byte[] both = [.. SslRequest(), .. StartupMessage()];
        await stream.WriteAsync(both);
        var reply = await ReadToEndAsync(stream);
        Assert.Equal((byte)'E', reply[0]);
        var fields = Encoding.UTF8.GetString(reply, 5, reply.Length - 5);
        Assert.Contains("C08P01\0", fields, StringComparison.Ordinal);
        Assert.Contains("received unencrypted data after SSL request", fields, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GSSENCRequest_is_answered_N()
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", Port);
        var stream = tcp.GetStream();
        var request = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(request, 8);
        BinaryPrimitives.WriteInt32BigEndian(request.AsSpan(4), 80877104);
        await stream.WriteAsync(request);
        var answer = new byte[1];
        await stream.ReadExactlyAsync(answer);
        Assert.Equal((byte)'N', answer[0]);
    }

    [Fact]
    public async Task Direct_TLS_with_ALPN_postgresql_reaches_authentication()
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", Port);
        await using var tls = new SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            ApplicationProtocols = [new SslApplicationProtocol("postgresql"u8.ToArray())],
        });
        await tls.WriteAsync(StartupMessage());
        var header = new byte[9];
        await tls.ReadExactlyAsync(header);
        Assert.Equal((byte)'R', header[0]);
        Assert.Equal(3, BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(5))); // AuthenticationCleartextPassword
    }

    [Fact]
    public async Task Direct_TLS_without_ALPN_is_closed()
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", Port);
        await using var tls = new SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" });
        }
        catch (System.Security.Authentication.AuthenticationException)
        {
            return;
        }
        catch (IOException)
        {
            return;
        }

        await tls.WriteAsync(StartupMessage());
        var buffer = new byte[16];
        Assert.Equal(0, await tls.ReadAsync(buffer));
    }

    private static byte[] SslRequest()
    {
        var request = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(request, 8);
        BinaryPrimitives.WriteInt32BigEndian(request.AsSpan(4), 80877103);
        return request;
    }

    private static byte[] StartupMessage()
    {
        var body = Encoding.UTF8.GetBytes($"user\0{GatewaySettings.AgentClientId}\0database\0{GatewaySettings.TargetName}\0\0");
        var message = new byte[8 + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(message, message.Length);
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(4), 196608);
        body.CopyTo(message, 8);
        return message;
    }

    private static async Task<byte[]> ReadToEndAsync(Stream stream)
    {
        using var all = new MemoryStream();
        await stream.CopyToAsync(all);
        return all.ToArray();
    }
}
