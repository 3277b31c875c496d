using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansGate.Audit;
using OrleansGate.Edge.Decisions;
using OrleansGate.Edge.Limits;
using OrleansGate.Edge.Telemetry;

namespace OrleansGate.Edge.Sessions;

/// <summary>What every session of this edge shares, whatever its protocol; one instance per process.</summary>
public sealed class EdgeSessionServices(
    EdgeDecider decider, IAuditSink audit, AuditBacklog backlog, IGrainFactory grains, IOptions<ApprovalLinks> approvalLinks, TimeProvider time, EdgeTelemetry telemetry, ILogger<EdgeSession> logger)
{
    /// <summary>The cluster: approvals live there (the one cross-silo call a request can make, and only when a rule holds it).</summary>
    public IGrainFactory Grains { get; } = grains;

    /// <summary>Where approvers decide, as agents are told.</summary>
    public ApprovalLinks ApprovalLinks { get; } = approvalLinks.Value;

    public EdgeDecider Decider { get; } = decider;

    /// <summary>This node's audit store: its own writers where the node runs a silo, else the cluster's (AuditIngest).</summary>
    public IAuditSink Audit { get; } = new MeteredAuditSink(audit, telemetry);

    /// <summary>The sessions' audit queues, whose depth the edge reports.</summary>
    public AuditQueues AuditQueues { get; } = Observed(new AuditQueues(), telemetry);

    public AuditBacklog Backlog { get; } = backlog;

    public TimeProvider Time { get; } = time;

    /// <summary>Statement tokens leased from the agent grains, per agent, shared by the agent's sessions on this edge.</summary>
    public StatementLeases Leases { get; } = new(grains, time);

    /// <summary>The agents' rows budgets as this edge sees them, and the rows it charges to them.</summary>
    public RowBudgets RowBudgets { get; } = new(grains, time);

    public EdgeTelemetry Telemetry { get; } = telemetry;

    public ILogger Logger { get; } = logger;

    /// <summary>Whether the audit store was last seen failing by a session of this edge (executions are then refused at once).</summary>
    public EdgeAuditHealth AuditHealth { get; } = new();

    /// <summary>Requests refused because the audit store failed: the first is logged, then a summary a minute, then the end.</summary>
    public StatementRefusalLog Refusals { get; } = new(time);

    private static AuditQueues Observed(AuditQueues queues, EdgeTelemetry telemetry)
    {
        telemetry.ObserveAuditQueue(queues.Depth);
        return queues;
    }
}
