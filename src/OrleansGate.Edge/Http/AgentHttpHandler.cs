using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansGate.Audit;
using OrleansGate.Edge.Decisions;
using OrleansGate.Edge.Identity;
using OrleansGate.Edge.Sessions;
using OrleansGate.Kubernetes.Masking;
using OrleansGate.Kubernetes.Requests;
using OrleansGate.Model;
using OrleansGate.Policy.Evaluation;
using OrleansGate.Policy.Model;
using Yarp.ReverseProxy.Forwarder;

namespace OrleansGate.Edge.Http;

/// <summary>
/// Every request on the agent HTTP listener: who asks, what it asks of which target, the decision, its durable record,
/// then the forward (YARP) with the answer masked, and the completion record.
/// </summary>
/// <remarks>
/// <code>
///  /k8s/TARGET/api/v1/namespaces/ns/secrets/x      /http/TARGET/v1/invoices
///   1. refuse Impersonate-*, a Connection header naming Authorization, a body over the cap (nothing forwarded)
///   2. Bearer token ─► validated (cached by hash until exp) ─► 401 otherwise
///   3. target from the policy ─► 404; path and query read as the API server does ─► 400 otherwise
///   4. the token's session on this target (agent grain: revocation, session limit) ─► 403/429/503
///   5. decision (policy rules) ─► record durable ─► deny 403 (rule named), 503 no record; approve ─► held for a
///      human (AgentHttpApprovals): wait, or 403 naming the approval (retry mode); denied/expired 403, cluster down 503
///   6. forward with the gateway's credential; a revocation aborts the request, a watch too
///   7. completion record: status, bytes, duration, values masked
/// </code>
/// </remarks>
public sealed partial class AgentHttpHandler(
    AgentTokenCache tokens,
    AgentHttpSessions sessions,
    AgentHttpUpstreams upstreams,
    EdgePolicy policy,
    IHttpForwarder forwarder,
    IOptions<AgentHttpOptions> options,
    TimeProvider time,
    ILogger<AgentHttpHandler> logger)
{
    public const string KubernetesPrefix = "/k8s/";
    public const string HttpPrefix = "/http/";

    private static readonly KubernetesResponseMasker Masker = new();

    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            await HandleCoreAsync(context).ConfigureAwait(false);
        }
        catch (AgentHttpRefusal refusal)
        {
            LogRefused(refusal.Status, context.Request.Method, context.Request.Path.Value ?? "", refusal.Message);
            await KubernetesStatus.WriteAsync(context, refusal.Status, refusal.Message).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The agent went, or its session ended (revocation): nothing more to send.
        }
    }

    private async Task HandleCoreAsync(HttpContext context)
    {
        var request = context.Request;
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? (request.Path + request.QueryString).ToString();
        var (kind, targetName, rest) = Route(raw);

        // 1. What is refused before anything else.
        foreach (var header in request.Headers.Keys)
        {
            if (header.StartsWith("Impersonate-", StringComparison.OrdinalIgnoreCase))
            {
                throw new AgentHttpRefusal(403, $"header {header} is refused: the gateway does not let agents act as another user");
            }
        }

        foreach (var token in request.Headers.Connection.SelectMany(v => (v ?? "").Split(',')))
        {
            if (token.Trim().Equals("authorization", StringComparison.OrdinalIgnoreCase) || token.Trim().StartsWith("impersonate-", StringComparison.OrdinalIgnoreCase))
            {
                throw new AgentHttpRefusal(400, $"a Connection header naming {token.Trim()} is refused (it would strip a header on its way)");
            }
        }

        // Two framings of one body is what request smuggling needs. Kestrel frames by Transfer-Encoding and moves a
        // Content-Length beside it to X-Content-Length (RFC 9112 §6.3); refused whichever of the two is left.
        if (request.Headers.TransferEncoding.Count > 0 && (request.ContentLength is not null || request.Headers.ContainsKey("X-Content-Length")))
        {
            throw new AgentHttpRefusal(400, "Transfer-Encoding together with Content-Length is refused: two framings of one body");
        }

        await BufferBodyAsync(context).ConfigureAwait(false);

        // 2. Who asks.
        var authorization = request.Headers.Authorization.ToString();
        if (!authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || authorization.Length <= 7 || request.Headers.Authorization.Count != 1)
        {
            throw new AgentHttpRefusal(401, "a bearer token is required (Authorization: Bearer TOKEN)");
        }

        var bearer = authorization[7..].Trim();
        var hash = AgentTokenCache.Hash(bearer);
        if (await tokens.ValidateAsync(bearer, hash, context.RequestAborted).ConfigureAwait(false) is not TokenValidationResult.Valid valid)
        {
            throw new AgentHttpRefusal(401, "the token was refused");
        }

        // 3. Which target, and what is asked of it.
        if (policy.TryGet() is not { } entry)
        {
            throw new AgentHttpRefusal(503, $"the gateway has no policy to decide with ({policy.UnavailableReason})");
        }

        if (!entry.Policy.HttpTargets.TryGetValue(targetName, out var target) || target.Kind != kind)
        {
            throw new AgentHttpRefusal(404, $"no {(kind == HttpTargetKind.Kubernetes ? "kubernetes" : "http")} target named '{targetName}'");
        }

        // A plain HTTP API gets the path and query checks only: Kubernetes' readings of /api/... are not its own.
        var parsed = kind == HttpTargetKind.Kubernetes ? KubernetesRequestParser.Parse(request.Method, rest) : KubernetesRequestParser.ParsePlainHttp(request.Method, rest);
        var protocol = kind == HttpTargetKind.Kubernetes ? "kubernetes" : "http";

        // 4. The token's session on this target.
        var client = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        var session = await sessions.OpenAsync(hash, valid, target.Name, protocol, client, context.RequestAborted).ConfigureAwait(false);
        session.Begin();
        try
        {
            await DecideAndForwardAsync(context, entry, target, parsed, session).ConfigureAwait(false);
        }
        finally
        {
            session.Done();
        }
    }

    private async Task DecideAndForwardAsync(HttpContext context, EdgePolicy.Entry entry, HttpTarget target, KubernetesRequestParseResult parsed, AgentHttpSession session)
    {
        var request = context.Request;
        var (decision, reveal, summary) = Decide(entry, target, parsed, request, session.Edge.Identity);
        var detail = parsed.Request is { Subresource: "exec" or "attach" } ? ExecCommand.AuditDetail(ExecCommand.Read(request.QueryString.Value), ExecDetectors.For(entry.Policy, session.Edge.Identity, target.Name))
            : request.ContentLength is > 0 ? $"body {request.ContentType ?? "without a type"}, {request.ContentLength} bytes"
            : null;
        // The row's reason column holds the detail when there is one: the decision's reason goes first, so a refusal keeps it.
        string? Reason(Decision d) => detail is null ? null : d.Reason is { Length: > 0 } why ? $"{why}; {detail}" : detail;
        var record = AuditRecords.Request(time.GetUtcNow(), session.Info, summary.Kinds, summary.Request, summary.Reads, summary.Writes, decision, Reason(decision));

        // An allowed read is forwarded at once; its record is written meanwhile and durable before the first byte of the
        // answer reaches the agent (DESIGN §2.7, as a PostgreSQL read's). Anything else is recorded before it is forwarded.
        var deferred = decision.Effect == DecisionEffect.Allow && IsRead(target.Kind, parsed.Request!, request.Method) && !Upgrade(context)
            ? session.Edge.DeferRequest(record)
            : null;
        var recorded = deferred is not null ? decision : await session.Edge.RecordRequestAsync(record).ConfigureAwait(false);
        if (recorded.Effect == DecisionEffect.Approve)
        {
            var subject = await AgentHttpApprovals.SubjectAsync(request, parsed.Request!.Path, summary.Kinds, summary.Writes.Concat(summary.Reads).FirstOrDefault(), summary.Request)
                .ConfigureAwait(false);
            recorded = await AgentHttpApprovals.AwaitAsync(context, session, recorded, subject,
                d => AuditRecords.Request(time.GetUtcNow(), session.Info, summary.Kinds, summary.Request, summary.Reads, summary.Writes, d, Reason(d)), logger).ConfigureAwait(false);
        }

        switch (recorded.Effect)
        {
            case DecisionEffect.Unavailable:
                throw new AgentHttpRefusal(503, $"refused by the gateway: {recorded.Reason}");
            case DecisionEffect.Deny:
                throw new AgentHttpRefusal(parsed.Request is null ? 400 : 403, $"denied by rule {recorded.Rule}: {recorded.Reason}");
            case DecisionEffect.Approve:
                throw new AgentHttpRefusal(403, $"rule {recorded.Rule} still holds this request for a human's approval: refused"); // never: the approval decides
        }

        // 6. Forward, with the gateway's own credential; the session's end (a revocation) cuts the request.
        HttpMessageInvoker invoker;
        string? token;
        try
        {
            (invoker, token) = upstreams.For(target);
        }
        catch (AgentHttpRefusal refusal)
        {
            Complete(session, deferred, new StatementCompletion(recorded.AuditSequence, time.GetUtcNow(), null, 0, $"{refusal.Status} {refusal.Message}"));
            throw;
        }

        var upstreamUri = new Uri(target.Url.GetLeftPart(UriPartial.Authority) + target.Url.AbsolutePath.TrimEnd('/') + parsed.Request!.RawPath + QueryOf(request));
        // Objects come only from resource requests; discovery and OpenAPI documents go as they are (kubectl asks for protobuf there).
        var mask = target.Kind != HttpTargetKind.Kubernetes || !parsed.Request.IsResourceRequest ? null : Rules(entry.Policy, reveal);
        var transformer = new AgentHttpTransformer(upstreamUri, token, mask, Masker, parsed.Request)
        {
            BeforeAnswer = deferred is null ? null : ct => RecordedAsync(session, deferred, ct),
        };
        var counting = new CountingResponseBody(context);
        var started = Stopwatch.GetTimestamp();
        ForwarderError error;
        ExecUpgradeFeature.Wrap(context, entry.Policy, session.Edge.Identity, target.Name, parsed.Request);
        using (session.Ended.Register(static c => ((HttpContext)c!).Abort(), context))
        {
            error = await forwarder.SendAsync(context, target.Url.GetLeftPart(UriPartial.Authority), invoker, Upgrade(context) ? Http11 : ForwarderRequestConfig.Empty, transformer).ConfigureAwait(false);
        }

        if (transformer.Withheld is not null)
        {
            return; // its record could not be written: the answer was withheld (503), and nothing can be recorded now
        }

        var outcome = session.IsEnded ? $"ended: {session.EndReason}"
            : transformer.Failure is { } failure ? $"502 {failure}"
            : error != ForwarderError.None ? $"{context.Response.StatusCode} {error}"
            : context.Response.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Complete(session, deferred, new StatementCompletion(
            recorded.AuditSequence,
            time.GetUtcNow(),
            null,
            (long)Stopwatch.GetElapsedTime(started).TotalMicroseconds,
            outcome,
            transformer.Masked is { ValuesMasked: > 0 } masked ? [$"{masked.ValuesMasked} values"]
                : context.Features.Get<ExecUpgradeFeature>() is { ValuesMasked: > 0 and var exec } ? [$"{exec} values in exec output"] : null,
            $"bytes {counting.Bytes}"));
    }

    /// <summary>
    /// How the request ended: with the session's next record; for a deferred read in its own record when that was not
    /// written yet (no answer came), else with the session's next record as well (no append of its own).
    /// </summary>
    private static void Complete(AgentHttpSession session, AuditPump.Deferred? deferred, StatementCompletion completion)
    {
        if (deferred is null)
        {
            session.Edge.Completed(completion);
            return;
        }

        session.Edge.Completed(deferred, completion);
        if (!deferred.Durable.IsCompleted)
        {
            deferred.Flush(); // no answer came, so nothing waited for it: written now, its completion inside
        }
    }

    /// <summary>Waits until the deferred record is durable; the reason it is not, or null.</summary>
    private static async ValueTask<string?> RecordedAsync(AgentHttpSession session, AuditPump.Deferred deferred, CancellationToken cancellationToken)
    {
        await session.Edge.AwaitRecordsAsync([deferred], cancellationToken).ConfigureAwait(false);
        return deferred.Durable.IsCompletedSuccessfully ? null
            : deferred.Durable.Exception?.InnerException?.Message ?? "the request's audit record could not be written";
    }

    /// <summary>
    /// Reads whose record may be written while they are forwarded: Kubernetes get, list and watch, and GET or HEAD of a
    /// non-resource path or of a plain HTTP target. Anything that could change something is recorded first.
    /// </summary>
    private static bool IsRead(HttpTargetKind kind, KubernetesRequest request, string method) =>
        method is "GET" or "HEAD"
        && (kind != HttpTargetKind.Kubernetes || !request.IsResourceRequest || request.Verb is "get" or "list" or "watch")
        && request.Subresource is not ("exec" or "attach" or "portforward" or "proxy");

    private static (Decision Decision, bool Reveal, RequestSummary Summary) Decide(
        EdgePolicy.Entry entry, HttpTarget target, KubernetesRequestParseResult parsed, HttpRequest http, PolicyIdentity identity)
    {
        var method = http.Method;
        if (parsed.Request is not { } request)
        {
            return (entry.Refusal(GatewayRules.Unparsable, $"the request could not be read as the API server reads it ({parsed.Refusal}); refused, never guessed"), false,
                new RequestSummary($"{(target.Kind == HttpTargetKind.Kubernetes ? "kubernetes" : "http")}:unparsable", method, [], []));
        }

        PolicyRule? rule;
        RequestSummary summary;
        if (target.Kind == HttpTargetKind.Kubernetes)
        {
            var facts = new KubernetesRequestFacts
            {
                IsResourceRequest = request.IsResourceRequest,
                Verb = request.Verb,
                Path = request.Path,
                ApiGroup = request.ApiGroup,
                Namespace = request.Namespace,
                Resource = request.Resource,
                Subresource = request.Subresource,
                Name = request.Name,
                Command = request.Subresource == "exec" ? ExecCommand.Read(http.QueryString.Value) : [],
            };
            rule = PolicyEvaluator.FindRule(entry.Policy, identity, target.Name, facts);
            summary = RequestSummary.Of(request, method);
        }
        else
        {
            rule = PolicyEvaluator.FindRule(entry.Policy, identity, target.Name, new HttpRequestFacts(method, request.Path));
            summary = new RequestSummary($"http:{method.ToLowerInvariant()}", $"{method} {request.Path}", [], []);
        }

        return (entry.DecisionOf(rule), rule is { RevealSecrets: true, Effect: not PolicyEffect.Deny }, summary);
    }

    /// <summary>Upgrades (exec and attach over WebSocket) go upstream as HTTP/1.1 upgrades, as the API server's clients send them.</summary>
    private static readonly ForwarderRequestConfig Http11 = new() { Version = System.Net.HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionExact };

    private static bool Upgrade(HttpContext context) => context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true };

    // A policy version's mask rules (Secret values masked, and revealed) are built once, not per request.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<CompiledPolicy, KubernetesMaskRules[]> RulesByPolicy = new();

    private static KubernetesMaskRules Rules(CompiledPolicy policy, bool reveal) =>
        RulesByPolicy.GetValue(policy, static p => [Build(p, reveal: false), Build(p, reveal: true)])[reveal ? 1 : 0];

    private static KubernetesMaskRules Build(CompiledPolicy policy, bool reveal)
    {
        var rules = KubernetesMaskRules.Default.WithSecretValuesMasked(!reveal);
        foreach (var mask in policy.KubernetesMasks)
        {
            rules = rules.WithPaths(mask.Kind, mask.Paths);
        }

        return rules;
    }

    /// <summary>The query as the agent sent it (the parser has read it); empty or starting with '?'.</summary>
    private static string QueryOf(HttpRequest request) => request.QueryString.HasValue ? request.QueryString.Value! : "";

    /// <summary>Splits <c>/k8s/TARGET/rest</c>; 404 for anything else.</summary>
    private static (HttpTargetKind Kind, string Target, string Remainder) Route(string raw)
    {
        var (kind, prefix) = raw.StartsWith(KubernetesPrefix, StringComparison.Ordinal) ? (HttpTargetKind.Kubernetes, KubernetesPrefix)
            : raw.StartsWith(HttpPrefix, StringComparison.Ordinal) ? (HttpTargetKind.Http, HttpPrefix)
            : throw new AgentHttpRefusal(404, $"paths here are {KubernetesPrefix}TARGET/... (Kubernetes) or {HttpPrefix}TARGET/... (HTTP)");
        var afterPrefix = raw[prefix.Length..];
        var end = afterPrefix.IndexOfAny(['/', '?']);
        var target = end < 0 ? afterPrefix : afterPrefix[..end];
        if (target.Length == 0 || !target.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw new AgentHttpRefusal(404, "the target name in the path is missing or not a plain name");
        }

        var rest = end < 0 ? "/" : afterPrefix[end..];
        return (kind, target, rest.StartsWith('?') ? "/" + rest : rest);
    }

    /// <summary>
    /// Reads the whole body (up to the cap) before anything is decided or forwarded: a body over the cap is refused with
    /// 413 and no byte of it reaches the target.
    /// </summary>
    private async Task BufferBodyAsync(HttpContext context)
    {
        var cap = options.Value.MaxRequestBodyBytes;
        var request = context.Request;
        if (request.ContentLength > cap)
        {
            throw new AgentHttpRefusal(413, $"the request body of {request.ContentLength} bytes is over the gateway's cap of {cap}");
        }

        if (request.ContentLength is null && !request.Headers.TransferEncoding.Any())
        {
            return; // no body
        }

        request.EnableBuffering(bufferThreshold: 64 * 1024, bufferLimit: cap);
        try
        {
            await request.Body.CopyToAsync(Stream.Null, context.RequestAborted).ConfigureAwait(false);
        }
        catch (IOException) when (!context.RequestAborted.IsCancellationRequested)
        {
            throw new AgentHttpRefusal(413, $"the request body is over the gateway's cap of {cap} bytes");
        }

        request.Body.Position = 0;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "HTTP request refused with {Status}: {Method} {Path}: {Reason}")]
    private partial void LogRefused(int status, string method, string path, string reason);

    /// <summary>What the audit keeps of a request: its kind, method and path (no query, no body), and what it reads or writes.</summary>
    private sealed record RequestSummary(string Kinds, string Request, IReadOnlyList<string> Reads, IReadOnlyList<string> Writes)
    {
        public static RequestSummary Of(KubernetesRequest request, string method)
        {
            var text = $"{method} {request.Path}";
            if (!request.IsResourceRequest)
            {
                return new($"kubernetes:{request.Verb}", text, [], []);
            }

            var resource = (request.ApiGroup.Length > 0 ? request.ApiGroup + "/" : "") + request.Resource + (request.Subresource.Length > 0 ? "/" + request.Subresource : "");
            var what = $"{resource} {(request.Namespace.Length > 0 ? request.Namespace + "/" : "")}{request.Name}".TrimEnd('/', ' ');
            var reads = request.Verb is "get" or "list" or "watch" ? (IReadOnlyList<string>)[what] : [];
            var writes = reads.Count == 0 ? (IReadOnlyList<string>)[what] : [];
            return new($"kubernetes:{request.Verb}", text, reads, writes);
        }
    }
}
