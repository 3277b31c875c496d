using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OrleansGate.Audit;
using OrleansGate.Edge.Sessions;
using OrleansGate.Model;

namespace OrleansGate.Edge.Http;

/// <summary>
/// HTTP requests an approve rule holds, taken to their approval as the PostgreSQL path takes statements
/// (<see cref="EdgeSession.AwaitApprovalAsync(Decision, EdgeSession.ApprovalSubject, Func{Decision, AuditRecord}, Func{ApprovalView, ValueTask}, CancellationToken, CancellationToken)"/>).
/// </summary>
/// <remarks>
/// Wait mode holds the request (kubectl waits) until the approval is decided; the agent closing its connection withdraws
/// it. Retry mode refuses at once naming the approval. A request is "the same request" when its method, path, query and
/// body are: all four make its fingerprint, so <c>exact</c> and <c>shape</c> reuse are the same on this path. Approvers
/// see its description (verb, resource, method and path), never its body, query or the agent's token.
/// </remarks>
internal static partial class AgentHttpApprovals
{
    /// <summary>What the approval is asked for: <paramref name="kinds"/> <c>kubernetes:delete</c>, <paramref name="what"/> <c>pods default/web-1</c>.</summary>
    public static async Task<EdgeSession.ApprovalSubject> SubjectAsync(HttpRequest request, string path, string kinds, string? what, string text)
    {
        var body = await BodyHashAsync(request).ConfigureAwait(false);
        var description = $"{kinds.Replace(':', ' ')}{(string.IsNullOrEmpty(what) ? "" : " " + what)} ({text})";
        return new EdgeSession.ApprovalSubject(description, text, Fingerprint(request.Method, path, request.QueryString.Value ?? "", body), kinds, "request");
    }

    /// <summary>SHA-256 of method, path (as the parser read it), query (as sent) and the body's own SHA-256, one per line.</summary>
    public static string Fingerprint(string method, string path, string query, string bodySha256) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{method.ToUpperInvariant()}\n{path}\n{query}\n{bodySha256}")));

    /// <summary>
    /// Takes the held request to its approval: the decision to forward it (allowed, recorded with the approval's id) or
    /// to refuse it. The agent closing its connection withdraws the approval; the request then ends unanswered.
    /// </summary>
    public static async Task<Decision> AwaitAsync(
        HttpContext context, AgentHttpSession session, Decision held, EdgeSession.ApprovalSubject subject, Func<Decision, AuditRecord> recordOf, ILogger logger)
    {
        Decision decided;
        try
        {
            decided = await session.Edge.AwaitApprovalAsync(held, subject, recordOf, view =>
            {
                LogWaiting(logger, session.Info.SessionId, view.Id, view.Request.Rule);
                return ValueTask.CompletedTask;
            }, context.RequestAborted, session.Ended).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (session.IsEnded && !context.RequestAborted.IsCancellationRequested)
        {
            // As on the PostgreSQL path, the approval stays pending: the agent's next attempt finds it.
            throw new AgentHttpRefusal(403, $"the session ended while the request waited for approval ({session.EndReason}): refused");
        }

        // Withdrawn (and recorded so): nobody is left to read a refusal.
        context.RequestAborted.ThrowIfCancellationRequested();
        return decided;
    }

    /// <summary>The body's SHA-256 (hex); the body was buffered whole before the decision, and is rewound for the forward.</summary>
    private static async Task<string> BodyHashAsync(HttpRequest request)
    {
        if (!request.Body.CanSeek)
        {
            return Convert.ToHexStringLower(SHA256.HashData([])); // no body: not buffered
        }

        request.Body.Position = 0;
        var hash = await SHA256.HashDataAsync(request.Body, request.HttpContext.RequestAborted).ConfigureAwait(false);
        request.Body.Position = 0;
        return Convert.ToHexStringLower(hash);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId}: HTTP request waits for approval {ApprovalId} (rule {Rule})")]
    private static partial void LogWaiting(ILogger logger, string sessionId, string approvalId, string rule);
}
