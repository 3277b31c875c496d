using System.Net.Security;
using System.Security.Authentication;
using Microsoft.Extensions.Logging;
using OrleansGate.Postgres.Protocol;

namespace OrleansGate.Edge.Postgres;

public sealed partial class PostgresSession
{
    /// <summary>A TLS record of type handshake: PostgreSQL 17's direct TLS starts with a ClientHello instead of SSLRequest.</summary>
    private const byte TlsHandshakeRecord = 0x16;

    private static readonly SslApplicationProtocol PostgresAlpn = new("postgresql"u8.ToArray());

    private SslStream? _tls;

    private bool Encrypted => _tls is not null;

    /// <summary>True when the first byte on the wire opens a TLS handshake; consumes nothing.</summary>
    private async Task<bool> StartsWithTlsHandshakeAsync(CancellationToken ct) =>
        await PeekFirstByteAsync(ct).ConfigureAwait(false) == TlsHandshakeRecord;

    /// <summary>The next byte from the client without consuming it; -1 when the client closed the connection.</summary>
    private async Task<int> PeekFirstByteAsync(CancellationToken ct)
    {
        var result = await _clientInput.ReadAsync(ct).ConfigureAwait(false);
        var buffer = result.Buffer;
        var first = buffer.IsEmpty ? -1 : buffer.FirstSpan[0];
        _clientInput.AdvanceTo(buffer.Start, buffer.Start);
        return first;
    }

    /// <summary>
    /// After our 'S', a client that speaks TLS sends a ClientHello. Anything else (a StartupMessage sent in plain text
    /// by a client that did not wait for the answer, or that ignores it) is refused in plain text, which that client
    /// can still read, instead of being fed to the handshake. False when the client hung up.
    /// </summary>
    private async Task<bool> ExpectClientHelloAsync(CancellationToken ct)
    {
        int first;
        try
        {
            first = await PeekFirstByteAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // As in a stalled handshake: the client awaits TLS now, so it is closed without a plain-text FATAL.
            LogTlsFailed(_logger, ClientAddress, "no handshake began before the authentication timeout");
            return false;
        }

        return first switch
        {
            -1 => false,
            TlsHandshakeRecord => true,
            _ => throw new PgProtocolException(PgSqlState.ProtocolViolation, "received unencrypted data after SSL request"),
        };
    }

    /// <summary>
    /// Refuses anything the client sent after SSLRequest before our answer: those bytes were written in
    /// plain text and must not be read as if they had come through TLS (CVE-2021-23214).
    /// </summary>
    private void RejectBufferedPlainText()
    {
        if (!_clientInput.TryRead(out var result))
        {
            return;
        }

        var length = result.Buffer.Length;
        _clientInput.AdvanceTo(result.Buffer.Start, result.Buffer.Start);
        if (length > 0)
        {
            throw new PgProtocolException(PgSqlState.ProtocolViolation, "received unencrypted data after SSL request");
        }
    }

    /// <summary>Runs the TLS handshake over the transport and switches the session to pipes over the TLS stream.</summary>
    private async Task<bool> StartTlsAsync(bool direct, CancellationToken ct)
    {
        var stream = new SslStream(new DuplexPipeStream(_clientInput, _clientOutput), leaveInnerStreamOpen: false);
        var options = new SslServerAuthenticationOptions
        {
            ServerCertificate = _services.Certificate,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            ClientCertificateRequired = false,
            ApplicationProtocols = [PostgresAlpn],
        };
        try
        {
            await stream.AuthenticateAsServerAsync(options, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            LogTlsFailed(_logger, ClientAddress, e.Message);
            await stream.DisposeAsync().ConfigureAwait(false);
            return false;
        }
        catch (OperationCanceledException)
        {
            // The authentication timeout (or the client leaving) mid-handshake: the connection is closed without a
            // FATAL, since a plain-text ErrorResponse written into a half-done handshake is garbage to the client.
            LogTlsFailed(_logger, ClientAddress, "the handshake did not complete before the authentication timeout");
            await stream.DisposeAsync().ConfigureAwait(false);
            return false;
        }

        // Direct TLS has no SSLRequest to say "this is PostgreSQL"; the ALPN must (as PostgreSQL 17 requires).
        if (direct && stream.NegotiatedApplicationProtocol != PostgresAlpn)
        {
            LogTlsFailed(_logger, ClientAddress, "direct TLS without the ALPN protocol \"postgresql\"");
            await stream.DisposeAsync().ConfigureAwait(false);
            return false;
        }

        _tls = stream;
        _clientInput = System.IO.Pipelines.PipeReader.Create(stream);
        _clientOutput = System.IO.Pipelines.PipeWriter.Create(stream);
        return true;
    }

    private async Task CloseTlsAsync()
    {
        if (_tls is null)
        {
            return;
        }

        try
        {
            await _clientOutput.CompleteAsync().ConfigureAwait(false);
            await _clientInput.CompleteAsync().ConfigureAwait(false);
            await _tls.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The client is already gone.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "TLS handshake with {Client} failed: {Error}")]
    private static partial void LogTlsFailed(ILogger logger, string client, string error);
}
