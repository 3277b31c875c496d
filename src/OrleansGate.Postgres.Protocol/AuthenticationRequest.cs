namespace OrleansGate.Postgres.Protocol;

/// <summary>An Authentication ('R') message from the server.</summary>
/// <param name="Type">0 ok, 3 cleartext, 5 MD5, 10 SASL, 11 SASLContinue, 12 SASLFinal; others kept as received.</param>
/// <param name="Data">The MD5 salt (4 bytes), the SASL data, or the bytes after the type for other types; empty for 0, 3 and 10.</param>
/// <param name="SaslMechanisms">The mechanisms offered with type 10, in the server's order; empty otherwise.</param>
public sealed record AuthenticationRequest(int Type, byte[] Data, IReadOnlyList<string> SaslMechanisms)
{
    public const int Ok = 0;
    public const int CleartextPassword = 3;
    public const int Md5 = 5;
    public const int Sasl = 10;
    public const int SaslContinue = 11;
    public const int SaslFinal = 12;
}
