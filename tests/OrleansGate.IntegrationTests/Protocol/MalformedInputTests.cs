using System.Text;
using OrleansGate.IntegrationTests.Fixtures;

namespace OrleansGate.IntegrationTests.Protocol;

/// <summary>
/// Malformed and out-of-place input over real sockets: each case gets its exact SQLSTATE (FATAL, then the
/// connection is closed), and a new client can still log in and run a query afterwards.
/// </summary>
[Collection(ProtocolSuiteCollection.Name)]
public sealed class MalformedInputTests(ProtocolSuiteFixture fixture)
{
    private enum Phase
    {
        /// <summary>Sent as the first bytes of a connection to the main node.</summary>
        Startup,

        /// <summary>Sent after a StartupMessage, in place of the password.</summary>
        Password,

        /// <summary>Sent after a completed login on the main node.</summary>
        Session,

        /// <summary>Sent after a completed login on the edge with small limits.</summary>
        LimitsSession,
    }

    private sealed record Case(Phase Phase, byte[] Bytes, string SqlState, string MessageFragment, bool HalfClose = false);

    private static readonly byte[] ValidStartup = Wire.Startup("user", GatewaySettings.AgentClientId, "database", GatewaySettings.TargetName);
    private static readonly byte[] SslRequestCode = Wire.Int32((1234 << 16) | 5679);
    private static readonly byte[] CancelRequestCode = Wire.Int32((1234 << 16) | 5678);
    private static readonly byte[] Protocol3 = Wire.Int32(3 << 16);

    private static readonly Dictionary<string, Case> Cases = new()
    {
        // Startup packet: 8..10,000 bytes, protocol 3, well-formed parameters.
        ["startup length 7"] = new(Phase.Startup, [.. Wire.Int32(7), .. Protocol3], "08P01", "invalid length of startup packet"),
        ["startup length 0"] = new(Phase.Startup, Wire.Int32(0), "08P01", "invalid length of startup packet"),
        ["startup length negative"] = new(Phase.Startup, Wire.Int32(-8), "08P01", "invalid length of startup packet"),
        ["startup length 10001"] = new(Phase.Startup, Wire.Int32(10_001), "08P01", "invalid length of startup packet"),
        ["startup length int max"] = new(Phase.Startup, Wire.Int32(int.MaxValue), "08P01", "invalid length of startup packet"),
        ["startup protocol 2.0"] = new(Phase.Startup, Wire.Packet(Wire.Int32(2 << 16), Wire.CString("user"), Wire.CString("a"), [0]), "08P01", "unsupported frontend protocol"),
        ["startup protocol 4.0"] = new(Phase.Startup, Wire.Packet(Wire.Int32(4 << 16), Wire.CString("user"), Wire.CString("a"), [0]), "08P01", "unsupported frontend protocol"),
        ["SSLRequest of 12 bytes"] = new(Phase.Startup, Wire.Packet(SslRequestCode, Wire.Int32(0)), "08P01", "invalid length of SSLRequest"),
        ["CancelRequest of 12 bytes"] = new(Phase.Startup, Wire.Packet(CancelRequestCode, Wire.Int32(1)), "08P01", "invalid length of CancelRequest"),
        ["startup without user"] = new(Phase.Startup, Wire.Startup("database", "demo"), "08P01", "no PostgreSQL user name"),
        ["startup with empty user"] = new(Phase.Startup, Wire.Startup("user", "", "database", "demo"), "08P01", "no PostgreSQL user name"),
        ["startup without final terminator"] = new(Phase.Startup, Wire.Packet(Protocol3, Wire.CString("user"), Wire.CString("a")), "08P01", "expected terminator"),
        ["startup value without NUL"] = new(Phase.Startup, Wire.Packet(Protocol3, Wire.CString("user"), "abc"u8.ToArray()), "08P01", "no terminating NUL"),
        ["startup with a repeated parameter"] = new(Phase.Startup, Wire.Startup("user", "a", "user", "b"), "08P01", "more than once"),
        ["startup with invalid UTF-8"] = new(Phase.Startup, Wire.Packet(Protocol3, Wire.CString("user"), [0xC3, 0x28, 0], [0]), "08P01", "UTF-8"),
        ["startup with bytes after the terminator"] = new(Phase.Startup, Wire.Packet(Protocol3, Wire.CString("user"), Wire.CString("a"), [0], [0x41]), "08P01", "expected terminator"),
        ["startup truncated then closed"] = new(Phase.Startup, ValidStartup[..12], "08P01", "incomplete startup packet", HalfClose: true),
        ["startup parameter options"] = new(Phase.Startup, Wire.Startup("user", "a", "database", "demo", "options", "-c role=postgres"), "0A000", "\"options\" is not supported"),
        ["startup parameter replication"] = new(Phase.Startup, Wire.Startup("user", "a", "database", "demo", "replication", "database"), "0A000", "\"replication\" is not supported"),

        // The password phase: only a PasswordMessage, capped at 1 MiB before authentication.
        ["second StartupMessage instead of the password"] = new(Phase.Password, ValidStartup, "08P01", "expected a password message"),
        ["Query instead of the password"] = new(Phase.Password, Wire.Message('Q', Wire.CString("SELECT 1")), "08P01", "expected a password message"),
        ["password over the 1 MiB pre-authentication cap"] = new(Phase.Password, Wire.Header('p', (1 << 20) + 1), "08P01", "invalid message length"),
        ["password length 3"] = new(Phase.Password, Wire.Header('p', 3), "08P01", "invalid message length"),
        ["password length negative"] = new(Phase.Password, Wire.Header('p', -1), "08P01", "invalid message length"),
        ["password without NUL"] = new(Phase.Password, Wire.Message('p', "abc"u8.ToArray()), "08P01", "no terminating NUL"),
        ["password with trailing bytes"] = new(Phase.Password, Wire.Message('p', Wire.CString("abc"), [1, 2]), "08P01", "unexpected bytes at the end"),
        ["password truncated then closed"] = new(Phase.Password, Wire.Message('p', Wire.CString("a-token-that-is-cut"))[..9], "08P01", "incomplete message", HalfClose: true),

        // Framing after login.
        ["length 3"] = new(Phase.Session, Wire.Header('Q', 3), "08P01", "invalid message length"),
        ["length negative"] = new(Phase.Session, Wire.Header('Q', -1), "08P01", "invalid message length"),
        ["length int min"] = new(Phase.Session, Wire.Header('Q', int.MinValue), "08P01", "invalid message length"),
        ["length over the 64 MiB cap, header only"] = new(Phase.Session, Wire.Header('Q', (64 << 20) + 1), "08P01", "invalid message length"),
        ["length over a configured 64 KiB cap, header only"] = new(Phase.LimitsSession, Wire.Header('d', ProtocolSuiteFixture.SmallMessageCap + 1), "08P01", "invalid message length"),
        ["Query truncated then closed"] = new(Phase.Session, Wire.Message('Q', Wire.CString("SELECT 1"))[..8], "08P01", "incomplete message", HalfClose: true),
        ["header truncated then closed"] = new(Phase.Session, [(byte)'Q', 0, 0], "08P01", "incomplete message", HalfClose: true),

        // Message types a client never sends.
        ["server-only ReadyForQuery"] = new(Phase.Session, Wire.Message('Z', [(byte)'I']), "08P01", "unexpected message type 0x5A"),
        ["server-only Authentication"] = new(Phase.Session, Wire.Message('R', Wire.Int32(0)), "08P01", "unexpected message type 0x52"),
        ["server-only RowDescription"] = new(Phase.Session, Wire.Message('T', Wire.Int16(0)), "08P01", "unexpected message type 0x54"),
        ["server-only BackendKeyData"] = new(Phase.Session, Wire.Message('K', Wire.Int32(1), Wire.Int32(2)), "08P01", "unexpected message type 0x4B"),
        ["server-only NotificationResponse"] = new(Phase.Session, Wire.Message('A', Wire.Int32(1), Wire.CString("c"), Wire.CString("p")), "08P01", "unexpected message type 0x41"),
        ["unknown type 0xFF with a huge length"] = new(Phase.Session, Wire.Header((char)0xFF, 1 << 30), "08P01", "unexpected message type 0xFF"),
        ["PasswordMessage after login"] = new(Phase.Session, Wire.Message('p', Wire.CString("again")), "08P01", "unexpected message type 0x70"),
        ["second StartupMessage after login"] = new(Phase.Session, ValidStartup, "08P01", "unexpected message type 0x00"),
        ["SSLRequest after login"] = new(Phase.Session, Wire.Packet(SslRequestCode), "08P01", "unexpected message type 0x00"),

        // Inconsistent Bind.
        ["Bind with 2 formats for 3 parameters"] = new(Phase.Session, Wire.Message('B', Wire.CString(""), Wire.CString(""), Wire.Int16(2), Wire.Int16(0), Wire.Int16(0), Wire.Int16(3), Wire.Int32(-1), Wire.Int32(-1), Wire.Int32(-1), Wire.Int16(0)), "08P01", "2 parameter formats for 3 parameters"),
        ["Bind with format code 2"] = new(Phase.Session, Wire.Message('B', Wire.CString(""), Wire.CString(""), Wire.Int16(1), Wire.Int16(2), Wire.Int16(0), Wire.Int16(0)), "08P01", "unsupported format code"),
        ["Bind with value length -2"] = new(Phase.Session, Wire.Message('B', Wire.CString(""), Wire.CString(""), Wire.Int16(0), Wire.Int16(1), Wire.Int32(-2), Wire.Int16(0)), "08P01", "parameter length -2"),
        ["Bind value longer than the message"] = new(Phase.Session, Wire.Message('B', Wire.CString(""), Wire.CString(""), Wire.Int16(0), Wire.Int16(1), Wire.Int32(1000), [1, 2], Wire.Int16(0)), "08P01", "exceeds the message length"),
        ["Bind with more parameters than it holds"] = new(Phase.Session, Wire.Message('B', Wire.CString(""), Wire.CString(""), Wire.Int16(0), Wire.Int16(-1), Wire.Int32(-1)), "08P01", "exceeds the message length"),
        ["Bind result format count beyond the message"] = new(Phase.Session, Wire.Message('B', Wire.CString(""), Wire.CString(""), Wire.Int16(0), Wire.Int16(0), Wire.Int16(5), Wire.Int16(0)), "08P01", "exceeds the message length"),
        ["Bind with trailing bytes"] = new(Phase.Session, Wire.Message('B', Wire.CString(""), Wire.CString(""), Wire.Int16(0), Wire.Int16(0), Wire.Int16(0), [9]), "08P01", "unexpected bytes at the end"),
        ["Bind portal name without NUL"] = new(Phase.Session, Wire.Message('B', "portal"u8.ToArray()), "08P01", "no terminating NUL"),

        // Describe, Close, Execute, Parse, Query.
        ["Describe with kind X"] = new(Phase.Session, Wire.Message('D', [(byte)'X'], Wire.CString("s")), "08P01", "neither 'S' nor 'P'"),
        ["Close with kind Q"] = new(Phase.Session, Wire.Message('C', [(byte)'Q'], Wire.CString("s")), "08P01", "neither 'S' nor 'P'"),
        ["Describe name without NUL"] = new(Phase.Session, Wire.Message('D', [(byte)'S'], "s1"u8.ToArray()), "08P01", "no terminating NUL"),
        ["Describe without kind"] = new(Phase.Session, Wire.Message('D'), "08P01", "too short for kind"),
        ["Execute without row limit"] = new(Phase.Session, Wire.Message('E', Wire.CString("")), "08P01", "too short for row limit"),
        ["Parse with a type count beyond the message"] = new(Phase.Session, Wire.Message('P', Wire.CString("s"), Wire.CString("SELECT 1"), Wire.Int16(100), Wire.Int32(23)), "08P01", "exceeds the message length"),
        ["Parse statement name without NUL"] = new(Phase.Session, Wire.Message('P', "s1"u8.ToArray()), "08P01", "no terminating NUL"),
        ["Query without NUL"] = new(Phase.Session, Wire.Message('Q', "SELECT 1"u8.ToArray()), "08P01", "no terminating NUL"),
        ["Query with invalid UTF-8"] = new(Phase.Session, Wire.Message('Q', [0x53, 0xFF, 0xFE, 0]), "08P01", "UTF-8"),
        ["Query with bytes after its NUL"] = new(Phase.Session, Wire.Message('Q', Wire.CString("SELECT 1"), Wire.CString("DROP TABLE orders")), "08P01", "unexpected bytes at the end"),
    };

    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Malformed_input_gets_fatal_with_its_sqlstate_then_close_and_a_new_client_still_works(string name)
    {
        var @case = Cases[name];
        var token = await fixture.TokenAsync();
        var port = (@case.Phase == Phase.LimitsSession ? fixture.LimitsEdge : fixture.Node).Settings.PostgresPort;
        await using (var client = @case.Phase is Phase.Session or Phase.LimitsSession
            ? await WireClient.LoginAsync(port, token)
            : await WireClient.ConnectAsync(port))
        {
            if (@case.Phase == Phase.Password)
            {
                await client.SendAsync(ValidStartup);
                Assert.Equal('R', (await client.ReadAsync()).Code);
            }

            await client.SendAsync(@case.Bytes);
            if (@case.HalfClose)
            {
                client.ShutdownSend();
            }

            var error = await client.ReadErrorAsync();
            Assert.NotNull(error);
            Assert.Equal("FATAL", error['S']);
            Assert.Equal(@case.SqlState, error['C']);
            Assert.Contains(@case.MessageFragment, error['M'], StringComparison.Ordinal);
            Assert.Equal('\0', (await client.ReadAsync()).Code);
        }

        await AssertNewClientWorksAsync(port, token);
    }

    [Fact]
    public void Suite_has_at_least_40_cases() => Assert.True(Cases.Count >= 40, $"{Cases.Count} cases");

    [Fact]
    public async Task Message_at_the_configured_cap_is_accepted()
    {
        var token = await fixture.TokenAsync();
        await using var client = await WireClient.LoginAsync(fixture.LimitsEdge.Settings.PostgresPort, token);

        // A comment pads the Query to exactly the cap: 4 (length) + text + NUL.
        var prefix = "SELECT 'fits' /*";
        var text = prefix + new string('x', ProtocolSuiteFixture.SmallMessageCap - 4 - 1 - prefix.Length - 2) + "*/";
        var query = Wire.Message('Q', Wire.CString(text));
        Assert.Equal(ProtocolSuiteFixture.SmallMessageCap + 1, query.Length);
        await client.SendAsync(query);
        var answer = await client.ReadUntilReadyAsync();
        Assert.Contains(answer, m => m.Code == 'D' && Encoding.UTF8.GetString(m.Payload).Contains("fits", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("nothing sent")]
    [InlineData("half a startup packet")]
    [InlineData("startup without a password")]
    public async Task Idle_in_authentication_gets_fatal_08P01_after_the_configured_timeout(string sent)
    {
        var port = fixture.LimitsEdge.Settings.PostgresPort;
        var started = DateTimeOffset.UtcNow;
        await using (var client = await WireClient.ConnectAsync(port))
        {
            switch (sent)
            {
                case "half a startup packet":
                    await client.SendAsync(ValidStartup[..10]);
                    break;
                case "startup without a password":
                    await client.SendAsync(ValidStartup);
                    Assert.Equal('R', (await client.ReadAsync()).Code);
                    break;
            }

            var error = await client.ReadErrorAsync();
            Assert.NotNull(error);
            Assert.Equal("08P01", error['C']);
            Assert.Contains("canceling authentication due to timeout", error['M'], StringComparison.Ordinal);
            Assert.Equal('\0', (await client.ReadAsync()).Code);
        }

        // Not before the timeout (the bound is generous: the node may be busy).
        Assert.True(DateTimeOffset.UtcNow - started >= ProtocolSuiteFixture.ShortAuthenticationTimeout - TimeSpan.FromMilliseconds(100));
        await AssertNewClientWorksAsync(port, await fixture.TokenAsync());
    }

    private static async Task AssertNewClientWorksAsync(int port, string token)
    {
        await using var next = await WireClient.LoginAsync(port, token);
        await next.SendAsync(Wire.Message('Q', Wire.CString("SELECT 'still serving'")));
        var answer = await next.ReadUntilReadyAsync();
        Assert.Contains(answer, m => m.Code == 'D' && Encoding.UTF8.GetString(m.Payload).Contains("still serving", StringComparison.Ordinal));
    }
}
