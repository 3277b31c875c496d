namespace OrleansGate.Postgres.Protocol;

/// <summary>The transaction status byte of ReadyForQuery.</summary>
public static class PgTransactionStatus
{
    /// <summary>'I': not in a transaction block.</summary>
    public const byte Idle = (byte)'I';

    /// <summary>'T': in a transaction block.</summary>
    public const byte InTransaction = (byte)'T';

    /// <summary>'E': in a failed transaction block; statements are refused until it ends.</summary>
    public const byte Failed = (byte)'E';

    public static bool IsValid(byte status) => status is Idle or InTransaction or Failed;
}
