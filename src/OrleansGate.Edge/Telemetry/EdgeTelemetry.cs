using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace OrleansGate.Edge.Telemetry;

/// <summary>Traces and metrics of the edge. Names are stable: dashboards and tests refer to them.</summary>
public sealed class EdgeTelemetry : IDisposable
{
    public const string Name = "OrleansGate.Edge";

    /// <summary>The protocol label of the PostgreSQL edge's series (HTTP and SSH edges will add theirs).</summary>
    public static readonly KeyValuePair<string, object?> Postgres = new("protocol", "postgres");

    public static readonly ActivitySource ActivitySource = new(Name);

    /// <summary>A client's login: token validation, the agent grain's registration (Orleans' own spans below it) and the upstream login.</summary>
    public const string LoginSpan = "postgres.login";

    /// <summary>Dialling and logging in to the target.</summary>
    public const string UpstreamConnectSpan = "postgres.upstream.connect";

    /// <summary>One statement's classification, decision and audit record.</summary>
    public const string DecideSpan = "postgres.decide";

    /// <summary>One statement at the target: from forwarding it to the answer that ends it; a child of its decision.</summary>
    public const string UpstreamSpan = "postgres.upstream";

    /// <summary>Starts a login's span (none when nothing listens), tagged with the client's address and port.</summary>
    public static Activity? StartLogin(System.Net.EndPoint? client)
    {
        var span = ActivitySource.StartActivity(LoginSpan, ActivityKind.Server);
        if (span is not null && client is System.Net.IPEndPoint ip)
        {
            span.SetTag("client.address", ip.Address.ToString());
            span.SetTag("client.port", ip.Port);
        }

        return span;
    }

    /// <summary>Tags the login span. Never the token, the statement text or any value: ids, names and outcomes only.</summary>
    public static void TagLogin(Activity? span, bool loggedIn, string? sessionId, string? agent, string? target)
    {
        if (span is null)
        {
            return;
        }

        span.SetTag("orleansgate.outcome", loggedIn ? "ok" : "refused");
        span.SetTag("orleansgate.session", sessionId);
        span.SetTag("orleansgate.agent", agent);
        span.SetTag("orleansgate.target", target);
        if (!loggedIn)
        {
            span.SetStatus(ActivityStatusCode.Error, "login refused");
        }
    }

    public static void TagDecision(Activity? span, string? sessionId, Model.Decision decision)
    {
        if (span is null)
        {
            return;
        }

        span.SetTag("orleansgate.session", sessionId);
        span.SetTag("orleansgate.effect", decision.Effect.ToString());
        span.SetTag("orleansgate.rule", decision.Rule);
        span.SetTag("orleansgate.policy_version", decision.PolicyVersion);
    }

    /// <summary>
    /// The span of a statement's answer, made when the answer has ended (the relay's reader is not the decision's flow),
    /// dated back to when the statement was forwarded. Nothing is made when the statement was not traced.
    /// </summary>
    public static void RecordUpstreamSpan(ActivityContext parent, long forwardedTimestamp, string? target, Model.StatementCompletion completion)
    {
        if (parent == default || !ActivitySource.HasListeners())
        {
            return;
        }

        var started = DateTimeOffset.UtcNow - Stopwatch.GetElapsedTime(forwardedTimestamp);
        using var span = ActivitySource.StartActivity(UpstreamSpan, ActivityKind.Client, parent, startTime: started);
        if (span is null)
        {
            return;
        }

        span.SetTag("orleansgate.target", target);
        span.SetTag("orleansgate.outcome", completion.Outcome);
        span.SetTag("db.response.returned_rows", completion.Rows);
        if (completion.Outcome is not (Model.StatementCompletion.Ok or Model.StatementCompletion.NotRun))
        {
            span.SetStatus(ActivityStatusCode.Error, completion.Outcome);
        }
    }

    private readonly Meter _meter;

    public EdgeTelemetry(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(Name);
        Connections = _meter.CreateCounter<long>("orleansgate.edge.connections", description: "Client connections accepted");
        Logins = _meter.CreateCounter<long>("orleansgate.edge.logins", description: "Login attempts by outcome");
        UpstreamConnections = _meter.CreateCounter<long>("orleansgate.edge.upstream.connections", description: "Upstream connections dialled");
        Decisions = _meter.CreateCounter<long>("orleansgate.edge.decisions", description: "Statement decisions by effect");
        DecisionLatency = _meter.CreateHistogram<double>("orleansgate.edge.decision.duration", unit: "ms", description: "Time to decide one statement");
        ActiveSessions = _meter.CreateUpDownCounter<long>("orleansgate.edge.sessions.active", description: "Sessions currently relayed");
        EndCancels = _meter.CreateCounter<long>("orleansgate.edge.sessions.end_cancels", description: "Cancels sent to the target for a statement still running when its session ended, by outcome");
        UpstreamLatency = _meter.CreateHistogram<double>("orleansgate.edge.upstream.duration", unit: "ms", description: "From forwarding an audited statement to the target's answer that ends it");
        RateLimitRefusals = _meter.CreateCounter<long>("orleansgate.edge.rate_limit.refusals", description: "Requests and logins refused by the agent's cluster-wide limits, by kind (statements, sessions, rows_changed, rows_read)");
        AuditCommitLatency = _meter.CreateHistogram<double>("orleansgate.edge.audit.commit.duration", unit: "ms", description: "Time to make one append of audit records durable, by outcome");
    }

    public Counter<long> Connections { get; }

    public Counter<long> Logins { get; }

    public Counter<long> UpstreamConnections { get; }

    public Counter<long> Decisions { get; }

    public Histogram<double> DecisionLatency { get; }

    public UpDownCounter<long> ActiveSessions { get; }

    public Counter<long> EndCancels { get; }

    public Histogram<double> UpstreamLatency { get; }

    public Histogram<double> AuditCommitLatency { get; }

    public Counter<long> RateLimitRefusals { get; }

    /// <summary>Reports <paramref name="depth"/> (audit records the sessions of this edge hold, not written yet) at each collection.</summary>
    public void ObserveAuditQueue(Func<long> depth) =>
        _meter.CreateObservableGauge("orleansgate.edge.audit.queued", depth, description: "Audit records queued on this edge and not written yet");

    public void Dispose() => _meter.Dispose();
}
