using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace OrleansGate.Postgres.Protocol;

/// <summary>The client side of SCRAM-SHA-256 (RFC 5802, RFC 7677), for logging in to the upstream PostgreSQL.</summary>
/// <remarks>
/// <para>Steps, one instance per login:</para>
/// <code>
///   gateway                                        upstream
///   SASLInitialResponse(CreateClientFirstMessage) →
///                                                  ← AuthenticationSASLContinue(server-first)
///   SASLResponse(CreateClientFinalMessage)        →
///                                                  ← AuthenticationSASLFinal(server-final)
///   VerifyServerFinal(server-final)
/// </code>
/// <para>
/// No channel binding ("n,,"). The user name is sent empty: PostgreSQL takes it from the StartupMessage.
/// SASLprep is simplified to the UTF-8 bytes of the password. That equals SASLprep for every ASCII
/// password (what a generated upstream credential is); a password with non-ASCII characters that SASLprep
/// would map or normalise fails to authenticate rather than authenticating wrongly.
/// </para>
/// </remarks>
public sealed class ScramSha256Client
{
    public const string Mechanism = "SCRAM-SHA-256";

    private const string Gs2Header = "n,,";
    private const int NonceByteCount = 18;
    private const int KeyLength = 32;

    private static readonly string[] KnownServerErrors =
    [
        "invalid-encoding", "extensions-not-supported", "invalid-proof", "channel-bindings-dont-match",
        "server-does-support-channel-binding", "channel-binding-not-supported", "unsupported-channel-binding-type",
        "unknown-user", "invalid-username-encoding", "no-resources", "other-error",
    ];

    private readonly byte[] _password;
    private readonly string _clientNonce;
    private readonly string _user;
    private string? _clientFirstBare;
    private byte[]? _serverSignature;
    private bool _completed;

    /// <param name="password">The upstream password.</param>
    /// <param name="clientNonceForTests">A fixed client nonce, for test vectors only; otherwise 18 random bytes in base64.</param>
    public ScramSha256Client(string password, string? clientNonceForTests = null)
        : this(password, clientNonceForTests, user: string.Empty)
    {
    }

    /// <summary>With a user name in client-first, which RFC test vectors need and PostgreSQL ignores.</summary>
    internal ScramSha256Client(string password, string? clientNonce, string user)
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentNullException.ThrowIfNull(user);
        if (clientNonce is not null && (clientNonce.Length == 0 || !IsPrintable(clientNonce)))
        {
            throw new ArgumentException("A SCRAM nonce is printable ASCII without ','.", nameof(clientNonce));
        }

        _password = Encoding.UTF8.GetBytes(password);
        _clientNonce = clientNonce ?? Convert.ToBase64String(RandomNumberGenerator.GetBytes(NonceByteCount));

        // saslname: '=' and ',' are escaped as =3D and =2C.
        _user = user.Replace("=", "=3D", StringComparison.Ordinal).Replace(",", "=2C", StringComparison.Ordinal);
    }

    /// <summary>"n,,n=,r=&lt;nonce&gt;", the data of SASLInitialResponse.</summary>
    public byte[] CreateClientFirstMessage()
    {
        _clientFirstBare = $"n={_user},r={_clientNonce}";
        return Encoding.UTF8.GetBytes(Gs2Header + _clientFirstBare);
    }

    /// <summary>Checks server-first and answers with the client proof, the data of SASLResponse.</summary>
    /// <exception cref="PgProtocolException">08P01: server-first is malformed or its nonce does not extend ours.</exception>
    public byte[] CreateClientFinalMessage(ReadOnlySpan<byte> serverFirst)
    {
        if (_clientFirstBare is null || _serverSignature is not null)
        {
            throw new InvalidOperationException("Call CreateClientFirstMessage first, and CreateClientFinalMessage once.");
        }

        var serverFirstText = Decode(serverFirst, "server-first-message");
        var attributes = serverFirstText.Split(',');
        if (attributes[0].StartsWith("m=", StringComparison.Ordinal))
        {
            throw Malformed("server-first-message requires an extension we do not support");
        }

        if (attributes.Length < 3)
        {
            throw Malformed("server-first-message lacks the nonce, salt or iteration count");
        }

        var nonce = Attribute(attributes[0], 'r', "nonce");

        // The server must extend our nonce; anything else may be a replay of another exchange.
        if (nonce.Length <= _clientNonce.Length || !nonce.StartsWith(_clientNonce, StringComparison.Ordinal) || !IsPrintable(nonce))
        {
            throw Malformed("the server nonce does not extend the client nonce");
        }

        var salt = Base64(Attribute(attributes[1], 's', "salt"), "salt");
        if (salt.Length == 0)
        {
            throw Malformed("the salt is empty");
        }

        if (!int.TryParse(Attribute(attributes[2], 'i', "iteration count"), NumberStyles.None, CultureInfo.InvariantCulture, out var iterations)
            || iterations <= 0)
        {
            throw Malformed("the iteration count is not a positive integer");
        }

        var clientFinalWithoutProof = $"c={Convert.ToBase64String(Encoding.ASCII.GetBytes(Gs2Header))},r={nonce}";
        var authMessage = Encoding.UTF8.GetBytes($"{_clientFirstBare},{serverFirstText},{clientFinalWithoutProof}");

        var saltedPassword = Rfc2898DeriveBytes.Pbkdf2(_password, salt, iterations, HashAlgorithmName.SHA256, KeyLength);
        var clientKey = HMACSHA256.HashData(saltedPassword, "Client Key"u8);
        var storedKey = SHA256.HashData(clientKey);
        var clientSignature = HMACSHA256.HashData(storedKey, authMessage);
        var serverKey = HMACSHA256.HashData(saltedPassword, "Server Key"u8);
        _serverSignature = HMACSHA256.HashData(serverKey, authMessage);

        // ClientProof = ClientKey XOR ClientSignature; the server recovers ClientKey and checks it hashes to StoredKey.
        var proof = new byte[KeyLength];
        for (var i = 0; i < proof.Length; i++)
        {
            proof[i] = (byte)(clientKey[i] ^ clientSignature[i]);
        }

        // Nothing else needs the password or the keys derived from it.
        CryptographicOperations.ZeroMemory(_password);
        CryptographicOperations.ZeroMemory(saltedPassword);
        CryptographicOperations.ZeroMemory(clientKey);
        CryptographicOperations.ZeroMemory(serverKey);

        return Encoding.UTF8.GetBytes($"{clientFinalWithoutProof},p={Convert.ToBase64String(proof)}");
    }

    /// <summary>Checks that the server knows the password too, by its signature over the exchange.</summary>
    /// <exception cref="PgProtocolException">28000 on a wrong signature or a server error ("e="); 08P01 when malformed.</exception>
    public void VerifyServerFinal(ReadOnlySpan<byte> serverFinal)
    {
        if (_serverSignature is null || _completed)
        {
            throw new InvalidOperationException("Call CreateClientFinalMessage first, and VerifyServerFinal once.");
        }

        var attributes = Decode(serverFinal, "server-final-message").Split(',');
        if (attributes[0].StartsWith("e=", StringComparison.Ordinal))
        {
            // Only the RFC's error names are repeated: the rest of the message is not ours to echo.
            var error = attributes[0][2..];
            throw new PgProtocolException(
                PgSqlState.InvalidAuthorizationSpecification,
                $"the upstream server refused SCRAM authentication: {(KnownServerErrors.Contains(error) ? error : "other-error")}");
        }

        var signature = Base64(Attribute(attributes[0], 'v', "verifier"), "verifier");
        _completed = true;
        if (!CryptographicOperations.FixedTimeEquals(signature, _serverSignature))
        {
            throw new PgProtocolException(
                PgSqlState.InvalidAuthorizationSpecification,
                "the upstream server's SCRAM signature is wrong: it does not know the password");
        }
    }

    private static string Decode(ReadOnlySpan<byte> message, string name)
    {
        try
        {
            return PgEncoding.Strict.GetString(message);
        }
        catch (DecoderFallbackException)
        {
            throw Malformed($"the {name} is not valid UTF-8");
        }
    }

    private static string Attribute(string attribute, char name, string what)
    {
        if (attribute.Length < 2 || attribute[0] != name || attribute[1] != '=')
        {
            throw Malformed($"expected the {what} ('{name}=')");
        }

        return attribute[2..];
    }

    private static byte[] Base64(string value, string what)
    {
        try
        {
            return Convert.FromBase64String(value);
        }
        catch (FormatException)
        {
            throw Malformed($"the {what} is not valid base64");
        }
    }

    /// <summary>printable = %x21-2B / %x2D-7E: visible ASCII except ','.</summary>
    private static bool IsPrintable(string value)
    {
        foreach (var c in value)
        {
            if (c is < '!' or > '~' or ',')
            {
                return false;
            }
        }

        return true;
    }

    private static PgProtocolException Malformed(string reason) =>
        PgProtocolException.Violation($"invalid SCRAM exchange with the upstream server: {reason}");
}
