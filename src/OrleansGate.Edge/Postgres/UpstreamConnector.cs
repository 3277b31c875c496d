using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using OrleansGate.Edge.Targets;
using OrleansGate.Edge.Telemetry;
using OrleansGate.Postgres.Protocol;

namespace OrleansGate.Edge.Postgres;

/// <summary>
/// Dials a target and logs in with the gateway's own credentials (trust, cleartext, MD5 or SCRAM-SHA-256),
/// collecting the startup messages the client will be shown.
/// </summary>
public sealed partial class UpstreamConnector(EdgeTelemetry telemetry, ILogger<UpstreamConnector> logger)
{
    /// <summary>Startup-phase messages are small; anything bigger is a misbehaving upstream.</summary>
    private const int MaxStartupMessageLength = 1 << 20;

    public async Task<UpstreamConnection> ConnectAsync(
        ResolvedTarget target,
        IEnumerable<KeyValuePair<string, string>> clientParameters,
        CancellationToken cancellationToken)
    {
        var options = target.Options;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        UpstreamConnection? connection = null;
        using var span = EdgeTelemetry.ActivitySource.StartActivity(EdgeTelemetry.UpstreamConnectSpan, ActivityKind.Client);
        span?.SetTag("orleansgate.target", target.Name);
        span?.SetTag("server.address", options.Host);
        span?.SetTag("server.port", options.Port);
        try
        {
            telemetry.UpstreamConnections.Add(1, new KeyValuePair<string, object?>("target", target.Name));
            await socket.ConnectAsync(options.Host, options.Port, timeout.Token).ConfigureAwait(false);
            connection = new UpstreamConnection(socket, new NetworkStream(socket, ownsSocket: false));

            var parameters = new List<KeyValuePair<string, string>>
            {
                new("user", options.Username),
                new("database", options.Database),
            };
            parameters.AddRange(clientParameters);
            FrontendWriter.StartupMessage(connection.Output, parameters);
            await connection.Output.FlushAsync(timeout.Token).ConfigureAwait(false);

            await LoginAsync(target, connection, timeout.Token).ConfigureAwait(false);
            return connection;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await DisposeAsync(connection, socket).ConfigureAwait(false);
            throw new UpstreamException($"could not connect to target '{target.Name}': timed out after {options.ConnectTimeout.TotalSeconds:0.#} s");
        }
        catch (SocketException e)
        {
            await DisposeAsync(connection, socket).ConfigureAwait(false);
            throw new UpstreamException($"could not connect to target '{target.Name}': {e.SocketErrorCode}", e);
        }
        catch (Exception e) when (e is PgProtocolException or IOException or InvalidOperationException)
        {
            await DisposeAsync(connection, socket).ConfigureAwait(false);
            LogUpstreamFailure(logger, target.Name, e.Message);
            throw new UpstreamException($"could not log in to target '{target.Name}': {e.Message}", e);
        }
        catch
        {
            await DisposeAsync(connection, socket).ConfigureAwait(false);
            throw;
        }
    }

    private static async ValueTask DisposeAsync(UpstreamConnection? connection, Socket socket)
    {
        if (connection is not null)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }

        socket.Dispose();
    }

    private static Task LoginAsync(ResolvedTarget target, UpstreamConnection connection, CancellationToken ct)
    {
        ScramSha256Client? scram = null;
        return connection.ReadUntilAsync(MaxStartupMessageLength, (in PgMessage message) => Handle(target, connection, message, ref scram), "login", ct);
    }

    /// <summary>Handles one startup-phase message; true once the upstream is ready for queries.</summary>
    private static bool Handle(ResolvedTarget target, UpstreamConnection connection, in PgMessage message, ref ScramSha256Client? scram)
    {
        var payload = message.Payload;
        switch ((BackendMessageCode)message.Code)
        {
            case BackendMessageCode.Authentication:
                Authenticate(target, connection.Output, BackendMessages.ReadAuthentication(payload), ref scram);
                return false;
            case BackendMessageCode.ParameterStatus:
                connection.ParameterStatuses.Add(BackendMessages.ReadParameterStatus(payload));
                return false;
            case BackendMessageCode.BackendKeyData:
                (connection.ProcessId, connection.SecretKey) = BackendMessages.ReadBackendKeyData(payload);
                return false;
            case BackendMessageCode.NoticeResponse:
            case BackendMessageCode.NegotiateProtocolVersion:
                return false;
            case BackendMessageCode.ErrorResponse:
                var fields = BackendMessages.ReadErrorOrNotice(payload);
                throw new InvalidOperationException(
                    $"{fields.GetValueOrDefault('C', "?????")} {fields.GetValueOrDefault('M', "(no message)")}");
            case BackendMessageCode.ReadyForQuery:
                connection.TransactionStatus = BackendMessages.ReadReadyForQuery(payload);
                return true;
            default:
                throw new PgProtocolException("08P01", $"unexpected message '{(char)message.Code}' from the target during login");
        }
    }

    private static void Authenticate(ResolvedTarget target, PipeWriter output, AuthenticationRequest request, ref ScramSha256Client? scram)
    {
        switch (request.Type)
        {
            case 0: // AuthenticationOk
                return;
            case 3: // AuthenticationCleartextPassword
                FrontendWriter.PasswordMessage(output, RequirePassword(target));
                return;
            case 5: // AuthenticationMD5Password: Data holds the 4-byte salt
                FrontendWriter.PasswordMessage(output, Md5Password.Compute(target.Options.Username, RequirePassword(target), request.Data));
                return;
            case 10: // AuthenticationSASL: mechanisms offered
                if (!request.SaslMechanisms.Contains("SCRAM-SHA-256"))
                {
                    throw new InvalidOperationException($"the target offers no supported SASL mechanism ({string.Join(", ", request.SaslMechanisms)})");
                }

                scram = new ScramSha256Client(RequirePassword(target));
                FrontendWriter.SaslInitialResponse(output, "SCRAM-SHA-256", scram.CreateClientFirstMessage());
                return;
            case 11: // AuthenticationSASLContinue: server-first-message
                if (scram is null)
                {
                    throw new PgProtocolException("08P01", "SASL continue without SASL start");
                }

                FrontendWriter.SaslResponse(output, scram.CreateClientFinalMessage(request.Data));
                return;
            case 12: // AuthenticationSASLFinal: server signature, checked so a fake upstream cannot pose as the target
                if (scram is null)
                {
                    throw new PgProtocolException("08P01", "SASL final without SASL start");
                }

                scram.VerifyServerFinal(request.Data);
                return;
            default:
                throw new InvalidOperationException($"the target asks for an unsupported authentication method ({request.Type})");
        }
    }

    private static string RequirePassword(ResolvedTarget target) =>
        target.ReadPassword() ?? throw new InvalidOperationException("the target requires a password but none is configured");

    [LoggerMessage(Level = LogLevel.Warning, Message = "Login to target {Target} failed: {Error}")]
    private static partial void LogUpstreamFailure(ILogger logger, string target, string error);
}
