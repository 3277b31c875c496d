namespace OrleansGate.Postgres.Protocol;

/// <summary>A protocol violation by either peer.</summary>
/// <remarks>
/// <see cref="Exception.Message"/> is written to be sent to the client as an ErrorResponse: it names
/// the message and what is wrong with it, never the bytes that were received.
/// </remarks>
public sealed class PgProtocolException : Exception
{
    public PgProtocolException(string sqlState, string message)
        : base(message)
    {
        ArgumentNullException.ThrowIfNull(sqlState);
        if (sqlState.Length != 5)
        {
            throw new ArgumentException("A SQLSTATE has exactly five characters.", nameof(sqlState));
        }

        SqlState = sqlState;
    }

    /// <summary>The five-character SQLSTATE to report, e.g. <c>08P01</c>.</summary>
    public string SqlState { get; }

    internal static PgProtocolException Violation(string message) => new(PgSqlState.ProtocolViolation, message);
}
