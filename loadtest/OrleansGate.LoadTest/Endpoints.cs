using Npgsql;

namespace OrleansGate.LoadTest;

/// <summary>Builds the connection string of session <c>i</c> against a target: its own token for the gateway.</summary>
public sealed class Endpoints
{
    private readonly TargetSpec _target;
    private readonly IReadOnlyList<string> _tokens;

    private Endpoints(TargetSpec target, IReadOnlyList<string> tokens)
    {
        _target = target;
        _tokens = tokens;
    }

    public TargetSpec Target => _target;

    public bool UsesTokens => _tokens.Count > 0;

    public static async Task<Endpoints> CreateAsync(TargetSpec target, int sessions, CancellationToken ct) =>
        new(target, target.TokenUrl is null ? [] : await TokenClient.FetchAsync(target, sessions, ct).ConfigureAwait(false));

    /// <summary>User and password of session <paramref name="index"/> (token sessions go round-robin over the clients).</summary>
    public (string User, string Password) Credentials(int index) =>
        UsesTokens
            ? (_target.TokenClients[index % _tokens.Count].Id, _tokens[index % _tokens.Count])
            : (_target.User, _target.Password);

    public string ConnectionString(int index)
    {
        var (user, password) = Credentials(index);
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = _target.Host,
            Port = _target.Port,
            Database = _target.Database,
            Username = user,
            Password = password,
            SslMode = SslMode.Disable,
            // One physical connection per session: pooling would hide login costs and share sessions.
            Pooling = false,
            Timeout = 20,
            CommandTimeout = 30,
            // Statements are prepared only where the workload says so (explicit Prepare()).
            MaxAutoPrepare = 0,
            NoResetOnClose = true,
        };
        return builder.ConnectionString;
    }
}
