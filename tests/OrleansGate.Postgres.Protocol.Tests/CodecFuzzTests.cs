using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;

namespace OrleansGate.Postgres.Protocol.Tests;

/// <summary>
/// Bounded fuzzing of the codec: mutated message streams seeded from valid sessions of both directions, each
/// read the way the gateway reads it (startup packet, then framed messages and their decoders), from randomly
/// segmented buffers. The only failure the codec may report is a <see cref="PgProtocolException"/>.
/// </summary>
/// <remarks>
/// 100,000 streams by default; set <c>ORLEANSGATE_FUZZ_ITERATIONS</c> to run longer locally and
/// <c>ORLEANSGATE_FUZZ_SEED</c> to run another sequence. A failure names the seed, the stream index and its bytes,
/// so the case can be replayed with the same seed.
/// </remarks>
[Collection(FuzzCollection.Name)]
public sealed class CodecFuzzTests(ITestOutputHelper output)
{
    public const string IterationsVariable = "ORLEANSGATE_FUZZ_ITERATIONS";
    public const string SeedVariable = "ORLEANSGATE_FUZZ_SEED";
    private const int Cap = 1 << 20;

    /// <summary>The mutation sequence: <see cref="SeedVariable"/>, or a fixed default so CI runs are repeatable.</summary>
    public static int Seed =>
        int.TryParse(Environment.GetEnvironmentVariable(SeedVariable), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seed) ? seed : 20261129;

    public static int Iterations =>
        int.TryParse(Environment.GetEnvironmentVariable(IterationsVariable), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 100_000;

    [Fact]
    public void Mutated_streams_raise_only_protocol_violations_and_memory_stays_flat()
    {
        var seeds = Seeds();
        var mutator = new StreamMutator(Seed);
        var outcomes = new Dictionary<string, int>();

        // Warm up (JIT, static caches) before the memory baseline.
        Run(seeds, new StreamMutator(1), 2_000, []);
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var watch = Stopwatch.StartNew();

        Run(seeds, mutator, Iterations, outcomes);

        var after = GC.GetTotalMemory(forceFullCollection: true);
        output.WriteLine($"seed {Seed}: {Iterations} streams in {watch.Elapsed.TotalSeconds:0.0} s; managed heap {before / 1024} KiB -> {after / 1024} KiB");
        foreach (var (outcome, count) in outcomes.OrderByDescending(o => o.Value))
        {
            output.WriteLine($"  {count,8} {outcome}");
        }

        // Both outcomes must be common, or the mutations are not reaching the decoders.
        Assert.True(outcomes.GetValueOrDefault("complete") > Iterations / 20, "too few streams decoded completely");
        Assert.True(outcomes.Where(o => o.Key.StartsWith("08P01", StringComparison.Ordinal)).Sum(o => o.Value) > Iterations / 5, "too few protocol violations");
        Assert.True(after - before < 4 << 20, $"managed heap grew by {(after - before) / 1024} KiB");
    }

    private static void Run(IReadOnlyList<(bool Frontend, bool Startup, byte[] Bytes)> seeds, StreamMutator mutator, int iterations, Dictionary<string, int> outcomes)
    {
        for (var i = 0; i < iterations; i++)
        {
            var (frontend, startup, bytes) = seeds[mutator.Random.Next(seeds.Count)];
            var mutated = mutator.Mutate(bytes);
            string outcome;
            try
            {
                outcome = ReadStream(mutator.Segment(mutated), frontend, startup);
            }
            catch (PgProtocolException e)
            {
                outcome = e.SqlState + " " + (e.Message.Length > 40 ? e.Message[..40] : e.Message);
                if (e.SqlState != PgSqlState.ProtocolViolation)
                {
                    throw new Xunit.Sdk.XunitException($"seed {Seed}, stream {i}: unexpected SQLSTATE {e.SqlState}: {Convert.ToHexString(mutated)}");
                }
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"seed {Seed}, stream {i}: {e.GetType().Name} {e.Message} on {Convert.ToHexString(mutated)}");
            }

            var key = outcome.StartsWith("08P01", StringComparison.Ordinal) ? outcome[..Math.Min(outcome.Length, 30)] : outcome;
            outcomes[key] = outcomes.GetValueOrDefault(key) + 1;
        }
    }

    /// <summary>Reads as the gateway does; "complete" when every byte formed valid messages, "incomplete" when it waits for more.</summary>
    private static string ReadStream(ReadOnlySequence<byte> buffer, bool frontend, bool startup)
    {
        if (startup)
        {
            if (!StartupReader.TryRead(buffer, out _, out var consumed, out _))
            {
                return "incomplete";
            }

            buffer = buffer.Slice(consumed);
        }

        while (!buffer.IsEmpty)
        {
            if (!MessageFramer.TryRead(buffer, Cap, out var message, out var end, out _))
            {
                return "incomplete";
            }

            Decode(message, frontend);
            buffer = buffer.Slice(end);
        }

        return "complete";
    }

    private static void Decode(in PgMessage message, bool frontend)
    {
        var payload = message.Payload;
        if (frontend)
        {
            switch ((FrontendMessageCode)message.Code)
            {
                case FrontendMessageCode.Query: FrontendMessages.ReadQuery(payload); break;
                case FrontendMessageCode.Parse: FrontendMessages.ReadParse(payload); break;
                case FrontendMessageCode.Bind: FrontendMessages.ReadBind(payload); break;
                case FrontendMessageCode.Describe or FrontendMessageCode.Close: FrontendMessages.ReadDescribeOrClose(payload); break;
                case FrontendMessageCode.Execute: FrontendMessages.ReadExecute(payload); break;
                case FrontendMessageCode.PasswordMessage: FrontendMessages.ReadPassword(payload); break;
            }

            return;
        }

        switch ((BackendMessageCode)message.Code)
        {
            case BackendMessageCode.Authentication: BackendMessages.ReadAuthentication(payload); break;
            case BackendMessageCode.ErrorResponse: BackendMessages.ReadError(payload); break;
            case BackendMessageCode.NoticeResponse: BackendMessages.ReadErrorOrNotice(payload); break;
            case BackendMessageCode.ParameterStatus: BackendMessages.ReadParameterStatus(payload); break;
            case BackendMessageCode.BackendKeyData: BackendMessages.ReadBackendKeyData(payload); break;
            case BackendMessageCode.ReadyForQuery: BackendMessages.ReadReadyForQuery(payload); break;
            case BackendMessageCode.DataRow: BackendMessages.ValidateDataRow(payload); break;
            case BackendMessageCode.NotificationResponse: BackendMessages.ReadNotification(payload); break;
            case BackendMessageCode.RowDescription: BackendStructure.ValidateRowDescription(payload); break;
            case BackendMessageCode.ParameterDescription: BackendStructure.ValidateParameterDescription(payload); break;
            case BackendMessageCode.CopyInResponse or BackendMessageCode.CopyOutResponse: BackendStructure.ValidateCopyResponse(payload); break;
            case BackendMessageCode.CommandComplete:
                // As the relay reads it: the structure, then the row count for the completion record.
                BackendStructure.ValidateCommandComplete(payload);
                BackendMessages.ReadCommandCompleteCount(payload);
                break;
        }
    }

    /// <summary>Valid sessions: a client's login and its simple, extended and COPY traffic; a server's answers.</summary>
    private static List<(bool Frontend, bool Startup, byte[] Bytes)> Seeds()
    {
        var startup = new WireBuilder().Int32(3 << 16).CString("user").CString("agent-a").CString("database").CString("demo").Byte(0).ToStartupPacket();
        var password = new WireBuilder().CString("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln").ToMessage('p');
        byte[] Frontend(string name) => MessageCatalog.Named(name).Framed;
        byte[] Backend(string name) => MessageCatalog.Named(name).Framed;
        return
        [
            (true, true, [.. startup, .. password]),
            (true, true, [.. new WireBuilder().Int32((1234 << 16) | 5679).ToStartupPacket()]),
            (true, true, [.. new WireBuilder().Int32((1234 << 16) | 5678).Int32(77).Int32(-5).ToStartupPacket()]),
            (true, false, [.. Frontend("Query"), .. Frontend("Terminate")]),
            (true, false, [.. Frontend("Parse"), .. Frontend("Bind"), .. Frontend("Describe portal"), .. Frontend("Execute"), .. Frontend("Sync")]),
            (true, false, [.. Frontend("Parse"), .. Frontend("Describe statement"), .. Frontend("Flush"), .. Frontend("Close"), .. Frontend("Sync")]),
            (true, false, [.. Frontend("Query"), .. Frontend("CopyData"), .. Frontend("CopyData"), .. Frontend("CopyDone"), .. Frontend("CopyFail")]),
            (true, false, [.. Frontend("FunctionCall"), .. Frontend("PasswordMessage")]),
            (false, false, [.. Backend("AuthenticationSASL"), .. Backend("AuthenticationMD5Password"), .. Backend("AuthenticationOk"), .. Backend("ParameterStatus"), .. Backend("BackendKeyData"), .. Backend("ReadyForQuery")]),
            (false, false, [.. Backend("AuthenticationSASL"), .. Backend("AuthenticationSASLContinue"), .. Backend("AuthenticationSASLFinal"), .. Backend("AuthenticationOk"), .. Backend("ReadyForQuery")]),
            (false, false, [.. Backend("RowDescription"), .. Backend("DataRow"), .. Backend("DataRow"), .. Backend("CommandComplete"), .. Backend("ReadyForQuery")]),
            (false, false, [.. Backend("ParseComplete"), .. Backend("ParameterDescription"), .. Backend("RowDescription"), .. Backend("CommandComplete"), .. Backend("CommandComplete")]),
            (false, false, [.. Backend("ParseComplete"), .. Backend("BindComplete"), .. Backend("DataRow"), .. Backend("PortalSuspended"), .. Backend("ErrorResponse"), .. Backend("ReadyForQuery")]),
            (false, false, [.. Backend("NoticeResponse"), .. Backend("NotificationResponse"), .. Backend("CopyOutResponse"), .. Backend("CopyInResponse"), .. Backend("EmptyQueryResponse")]),
        ];
    }
}
