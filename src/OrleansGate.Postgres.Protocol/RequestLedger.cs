namespace OrleansGate.Postgres.Protocol;

/// <summary>
/// Counts the extended-protocol requests a session sent upstream and the completions the upstream answered, so a
/// ParseComplete, BindComplete or CloseComplete that answers no request is refused instead of relayed (a client
/// would pair it with a later request of its own). Every Parse, Bind and Close gets at most one completion: after
/// an error the target skips to Sync and sends fewer, never more, so the check cannot refuse a real PostgreSQL.
/// </summary>
/// <remarks>One writer per direction: the client loop calls <see cref="Requested"/> before it flushes, the upstream loop <see cref="Answered"/>.</remarks>
public sealed class RequestLedger
{
    private long _parses;
    private long _binds;
    private long _closes;
    private long _parseCompletes;
    private long _bindCompletes;
    private long _closeCompletes;

    /// <summary>A client message about to be sent upstream (a refusal the gateway sends in its place counts as the same request).</summary>
    public void Requested(byte frontendCode)
    {
        switch ((FrontendMessageCode)frontendCode)
        {
            case FrontendMessageCode.Parse:
                Interlocked.Increment(ref _parses);
                break;
            case FrontendMessageCode.Bind:
                Interlocked.Increment(ref _binds);
                break;
            case FrontendMessageCode.Close:
                Interlocked.Increment(ref _closes);
                break;
        }
    }

    /// <summary>An upstream message; throws 08P01 for a completion that answers no request.</summary>
    public void Answered(byte backendCode)
    {
        switch ((BackendMessageCode)backendCode)
        {
            case BackendMessageCode.ParseComplete:
                Check(++_parseCompletes, ref _parses, "ParseComplete", "Parse");
                break;
            case BackendMessageCode.BindComplete:
                Check(++_bindCompletes, ref _binds, "BindComplete", "Bind");
                break;
            case BackendMessageCode.CloseComplete:
                Check(++_closeCompletes, ref _closes, "CloseComplete", "Close");
                break;
        }
    }

    private static void Check(long answered, ref long requested, string answer, string request)
    {
        if (answered > Volatile.Read(ref requested))
        {
            throw PgProtocolException.Violation($"{answer} without a {request} to answer");
        }
    }
}
