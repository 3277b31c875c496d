using System.Buffers;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansGate.Audit;
using OrleansGate.Edge.Decisions;
using OrleansGate.Edge.Http;
using OrleansGate.Edge.Identity;
using OrleansGate.Edge.Sessions;
using OrleansGate.Model;
using OrleansGate.Policy.Evaluation;
using OrleansGate.Policy.Model;
using OrleansGate.Policy.Shell;

namespace OrleansGate.Edge.Ssh;

/// <summary>
/// <c>POST /api/exec</c> on the agent HTTP listener: one command on one SSH target, decided by the policy's <c>ssh:</c>
/// rules from every simple command its line would run, recorded before it runs, and run with the gateway's key.
/// </summary>
/// <remarks>
/// <code>
///  {"target":"web1","command":"grep -i error /var/log/syslog","timeout_seconds":30}   Authorization: Bearer TOKEN
///   1. body (JSON, at most 64 KiB) ─► 400/413; Bearer token ─► 401; policy ─► 503; target of kind ssh ─► 404
///   2. the token's session on the target (agent grain: revocation, session limit) ─► 403/429/503
///   3. the line parsed with a POSIX shell grammar ─► anything not resolved statically: refused (gateway:unparsable)
///   4. decision ─► record durable (the command with detector finds redacted) ─► deny 403; no record 503;
///      approve ─► held (wait mode) or 403 naming the approval (retry mode)
///   5. run: 200, application/x-ndjson, stdout and stderr as they come (detectors applied), a last line with the exit
///      status; killed at the time limit, at the output cap, when the agent goes or its session ends (revocation)
///   6. completion record: exit status or why it was killed, output bytes, duration; never the output
/// </code>
/// Refusals are JSON: <c>{"error":"…","rule":"…","approval":"apr-…"}</c>, the last two when there is one.
/// </remarks>
public sealed partial class SshExecHandler(
    AgentTokenCache tokens,
    AgentHttpSessions sessions,
    EdgePolicy policy,
    SshCommandRunner runner,
    IOptions<SshExecOptions> options,
    TimeProvider time,
    ILogger<SshExecHandler> logger)
{
    public const string Path = "/api/exec";

    /// <summary>The largest request body read.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            await HandleCoreAsync(context).ConfigureAwait(false);
        }
        catch (Refusal refusal)
        {
            LogRefused(refusal.Status, refusal.Message);
            await WriteRefusalAsync(context, refusal).ConfigureAwait(false);
        }
        catch (AgentHttpRefusal refusal)
        {
            LogRefused(refusal.Status, refusal.Message);
            await WriteRefusalAsync(context, new Refusal(refusal.Status, refusal.Message)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The agent went: nobody is left to answer.
        }
    }

    private async Task HandleCoreAsync(HttpContext context)
    {
        var request = context.Request;
        if (!HttpMethods.IsPost(request.Method))
        {
            throw new Refusal(405, $"{Path} takes POST with a JSON body {{\"target\": \"…\", \"command\": \"…\"}}");
        }

        var (targetName, command, timeout) = await ReadBodyAsync(request).ConfigureAwait(false);

        // Who asks.
        var authorization = request.Headers.Authorization.ToString();
        if (!authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || authorization.Length <= 7 || request.Headers.Authorization.Count != 1)
        {
            throw new Refusal(401, "a bearer token is required (Authorization: Bearer TOKEN)");
        }

        var bearer = authorization[7..].Trim();
        var hash = AgentTokenCache.Hash(bearer);
        if (await tokens.ValidateAsync(bearer, hash, context.RequestAborted).ConfigureAwait(false) is not TokenValidationResult.Valid valid)
        {
            throw new Refusal(401, "the token was refused");
        }

        if (policy.TryGet() is not { } entry)
        {
            throw new Refusal(503, $"the gateway has no policy to decide with ({policy.UnavailableReason})");
        }

        if (!entry.Policy.SshTargets.TryGetValue(targetName, out var target))
        {
            throw new Refusal(404, $"no ssh target named '{targetName}'");
        }

        var client = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        var session = await sessions.OpenAsync(hash, valid, target.Name, "ssh", client, context.RequestAborted).ConfigureAwait(false);
        session.Begin();
        try
        {
            await DecideAndRunAsync(context, entry, target, command, timeout, session).ConfigureAwait(false);
        }
        finally
        {
            session.Done();
        }
    }

    private async Task DecideAndRunAsync(HttpContext context, EdgePolicy.Entry entry, SshTarget target, string command, TimeSpan timeout, AgentHttpSession session)
    {
        var identity = session.Edge.Identity;
        var detectors = ExecDetectors.For(entry.Policy, identity, target.Name);
        // What the audit and approvers see of the command: what the masks' detectors find in it is replaced.
        var shown = detectors is null ? command : detectors.Redact(command, [], out _);
        var parsed = ShellParser.Parse(command);
        var decision = parsed.Refusal is { } why
            ? entry.Refusal(GatewayRules.Unparsable, $"the command line could not be read statically ({why}); refused, never guessed")
            : entry.DecisionOf(PolicyEvaluator.FindRule(entry.Policy, identity, target.Name, new SshCommandFacts(command, parsed.Commands)));
        AuditRecord RecordOf(Decision d) => AuditRecords.Request(time.GetUtcNow(), session.Info, "ssh:exec", shown, [], [], d, null);

        var recorded = await session.Edge.RecordRequestAsync(RecordOf(decision)).ConfigureAwait(false);
        if (recorded.Effect == DecisionEffect.Approve)
        {
            var subject = new EdgeSession.ApprovalSubject($"ssh {target.Name}: {shown}", shown, Fingerprint(target.Name, command), "ssh:exec", "command");
            try
            {
                recorded = await session.Edge.AwaitApprovalAsync(recorded, subject, RecordOf, view =>
                {
                    LogWaiting(session.Info.SessionId, view.Id, view.Request.Rule);
                    return ValueTask.CompletedTask;
                }, context.RequestAborted, session.Ended).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (session.IsEnded && !context.RequestAborted.IsCancellationRequested)
            {
                throw new Refusal(403, $"the session ended while the command waited for approval ({session.EndReason}): refused");
            }

            context.RequestAborted.ThrowIfCancellationRequested();
        }

        switch (recorded.Effect)
        {
            case DecisionEffect.Unavailable:
                throw new Refusal(503, $"refused by the gateway: {recorded.Reason}", recorded.Rule);
            case DecisionEffect.Deny:
                throw new Refusal(403, $"denied by rule {recorded.Rule}: {recorded.Reason}", recorded.Rule, ApprovalId().Match(recorded.Reason ?? "") is { Success: true } m ? m.Value : null);
            case DecisionEffect.Approve:
                throw new Refusal(403, $"rule {recorded.Rule} still holds this command for a human's approval: refused", recorded.Rule);
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/x-ndjson; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        var writer = new SshOutputWriter(context.Response, detectors);
        var started = Stopwatch.GetTimestamp();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, session.Ended);
        SshRunResult result;
        try
        {
            result = await runner.RunAsync(target, command, timeout, writer.WriteAsync, stop.Token).ConfigureAwait(false);
        }
        catch (SshHostFailure failure)
        {
            session.Edge.Completed(new StatementCompletion(recorded.AuditSequence, time.GetUtcNow(), null, Micros(started), $"not run: {failure.Message}"));
            throw new Refusal(502, failure.Message, recorded.Rule);
        }

        var ended = session.IsEnded ? $"ended: {session.EndReason}" : null;
        session.Edge.Completed(new StatementCompletion(
            recorded.AuditSequence,
            time.GetUtcNow(),
            null,
            Micros(started),
            ended is null ? result.Outcome : $"{result.Outcome} ({ended})",
            writer.ValuesMasked > 0 ? [$"{writer.ValuesMasked} values in output"] : null,
            $"bytes {result.OutputBytes}"));
        if (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }

        try
        {
            await writer.EndAsync(json =>
            {
                if (result.ExitStatus is { } status)
                {
                    json.WriteNumber("exit", status);
                }
                else
                {
                    json.WriteNull("exit");
                }

                if (result.ExitSignal is { } signal)
                {
                    json.WriteString("signal", signal);
                }

                json.WriteNumber("duration_ms", (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                json.WriteNumber("bytes", result.OutputBytes);
                json.WriteBoolean("truncated", result.Truncated);
                if (result.Stopped is { } stopped)
                {
                    json.WriteString("error", $"the command was killed: {(ended is null ? stopped : ended)}");
                }
            }).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            // The agent went while the last lines were written.
        }
    }

    private static long Micros(long started) => (long)Stopwatch.GetElapsedTime(started).TotalMicroseconds;

    /// <summary>Requests of one fingerprint share an approval: the target and the command line exactly as sent.</summary>
    public static string Fingerprint(string target, string command) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"ssh\n{target}\n{command}")));

    private async Task<(string Target, string Command, TimeSpan Timeout)> ReadBodyAsync(HttpRequest request)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            throw new Refusal(413, $"the request body of {request.ContentLength} bytes is over the cap of {MaxBodyBytes}");
        }

        var body = new MemoryStream();
        var buffer = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(buffer, request.HttpContext.RequestAborted).ConfigureAwait(false)) > 0)
        {
            if (body.Length + read > MaxBodyBytes)
            {
                throw new Refusal(413, $"the request body is over the cap of {MaxBodyBytes} bytes");
            }

            body.Write(buffer, 0, read);
        }

        var settings = options.Value;
        var bytes = body.ToArray();
        // JsonDocument checks the UTF-8 of a string only when it is read (GetString throws): checked here, as a refusal.
        if (!System.Text.Unicode.Utf8.IsValid(bytes))
        {
            throw new Refusal(400, "the body is not UTF-8");
        }

        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 4 });
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new Refusal(400, $"the body is not JSON: {e.Message}");
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new Refusal(400, "the body must be a JSON object {\"target\": \"…\", \"command\": \"…\"}");
        }

        string? target = null, command = null;
        var timeout = settings.DefaultTimeout;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            // A key given twice is refused: a reader that takes the first (a proxy, a log) must never see another command than the one run.
            if (!seen.Add(property.Name))
            {
                throw new Refusal(400, $"key '{property.Name}' is given more than once");
            }

            switch (property.Name)
            {
                case "target" when property.Value.ValueKind == JsonValueKind.String:
                    target = property.Value.GetString();
                    break;
                case "command" when property.Value.ValueKind == JsonValueKind.String:
                    command = property.Value.GetString();
                    break;
                // TryGetDouble throws on a value that is not a number; seconds are compared before TimeSpan, which overflows.
                case "timeout_seconds" when property.Value.ValueKind == JsonValueKind.Number && property.Value.TryGetDouble(out var seconds) && seconds > 0 && double.IsFinite(seconds):
                    timeout = seconds <= settings.MaxTimeout.TotalSeconds ? TimeSpan.FromSeconds(seconds)
                        : throw new Refusal(400, $"timeout_seconds {seconds} is over the gateway's limit of {settings.MaxTimeout.TotalSeconds:0} s");
                    break;
                case "target" or "command" or "timeout_seconds":
                    throw new Refusal(400, property.Name == "timeout_seconds" ? "timeout_seconds must be a positive number" : $"'{property.Name}' must be a string");
                default:
                    throw new Refusal(400, $"unknown key '{property.Name}' (expected target, command, timeout_seconds)");
            }
        }

        if (string.IsNullOrEmpty(target) || !target.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw new Refusal(400, "'target' is missing or not a plain name");
        }

        if (string.IsNullOrWhiteSpace(command))
        {
            throw new Refusal(400, "'command' is missing or empty");
        }

        if (Encoding.UTF8.GetByteCount(command) > settings.MaxCommandBytes)
        {
            throw new Refusal(413, $"the command line is over the gateway's cap of {settings.MaxCommandBytes} bytes");
        }

        return (target, command, timeout);
    }

    private static async Task WriteRefusalAsync(HttpContext context, Refusal refusal)
    {
        if (context.Response.HasStarted)
        {
            context.Abort(); // output already on its way cannot become a refusal
            return;
        }

        context.Response.Clear();
        context.Response.StatusCode = refusal.Status;
        context.Response.ContentType = "application/json; charset=utf-8";
        if (refusal.Status == StatusCodes.Status401Unauthorized)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"orleansgate\"";
        }

        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("error", refusal.Message);
            if (refusal.Rule is { } rule)
            {
                json.WriteString("rule", rule);
            }

            if (refusal.Approval is { } approval)
            {
                json.WriteString("approval", approval);
            }

            json.WriteEndObject();
        }

        buffer.Write("\n"u8);
        try
        {
            await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            // The agent went.
        }
    }

    [GeneratedRegex("apr-[0-9a-f]{20}")]
    private static partial Regex ApprovalId();

    [LoggerMessage(Level = LogLevel.Information, Message = "SSH command refused with {Status}: {Reason}")]
    private partial void LogRefused(int status, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId}: SSH command waits for approval {ApprovalId} (rule {Rule})")]
    private partial void LogWaiting(string sessionId, string approvalId, string rule);

    /// <summary>A refusal answered as JSON, with the rule and approval that made it when there are.</summary>
    private sealed class Refusal(int status, string message, string? rule = null, string? approval = null) : Exception(message)
    {
        public int Status { get; } = status;

        public string? Rule { get; } = rule;

        public string? Approval { get; } = approval;
    }
}
