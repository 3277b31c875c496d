using Microsoft.Extensions.Logging;
using OrleansGate.Model;
using OrleansGate.Policy.Loading;
using OrleansGate.Policy.Model;

namespace OrleansGate.Edge.Decisions;

/// <summary>
/// This edge's compiled copy of the cluster policy, so every statement is decided here without a call (DESIGN §7). New
/// versions arrive as a push from the policy grain (<c>policy apply</c> pushes to every edge before it returns) and by the
/// edge's periodic check, which also confirms the version in force; the version is the fence: a statement is decided with
/// the newest version this edge holds, and a version is never replaced by an older one.
/// </summary>
/// <remarks>
/// Fails closed: no policy yet, or a copy not confirmed for <see cref="MaxStaleness"/>, gives no entry, and the statement
/// is refused with <see cref="GatewayRules.PolicyUnavailable"/>.
/// </remarks>
public sealed partial class EdgePolicy(TimeProvider time, ILogger<EdgePolicy> logger)
{
    private readonly Lock _installing = new();
    private volatile Entry? _current;
    private long _confirmedAtTicks;

    /// <summary>A copy not confirmed against the policy grain for this long is not trusted (OrleansGate:Policy:MaxStaleness).</summary>
    public TimeSpan MaxStaleness { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The version this edge decides with (0: none).</summary>
    public long Version => _current?.Version ?? 0;

    /// <summary>Why <see cref="TryGet"/> gives no entry, for the refusal message.</summary>
    public string UnavailableReason { get; private set; } = "no policy has been loaded";

    /// <summary>The entry to decide with; null (and <see cref="UnavailableReason"/>) when none can be trusted now.</summary>
    public Entry? TryGet()
    {
        var entry = _current;
        if (entry is null)
        {
            return null;
        }

        var confirmed = Interlocked.Read(ref _confirmedAtTicks);
        if (time.GetUtcNow().UtcTicks - confirmed > MaxStaleness.Ticks)
        {
            UnavailableReason = $"the policy copy on this edge could not be confirmed against the cluster for more than {MaxStaleness.TotalSeconds:0} s";
            return null;
        }

        return entry;
    }

    /// <summary>The cluster confirmed that <paramref name="version"/> is current (a push or a periodic check).</summary>
    public void Confirmed(long version)
    {
        if (version == 0)
        {
            UnavailableReason = "no policy has been loaded: set OrleansGate:Policy:File or run 'orleansgate policy apply FILE'";
            return;
        }

        if (_current?.Version == version)
        {
            Interlocked.Exchange(ref _confirmedAtTicks, time.GetUtcNow().UtcTicks);
        }
    }

    /// <summary>
    /// Installs <paramref name="snapshot"/> unless a newer version is in place (a push and a check can race; each compiles
    /// first, and the version is checked again under a lock). A version this edge cannot read leaves no policy: every
    /// statement is refused rather than decided by an older one.
    /// </summary>
    public void Install(PolicySnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (_current is { } current && current.Version >= snapshot.Version)
        {
            Confirmed(snapshot.Version);
            return;
        }

        Entry? entry = null;
        string? unreadable = null;
        try
        {
            entry = new Entry(snapshot.Version, PolicyLoader.Load(snapshot.Yaml, snapshot.Source));
        }
        catch (PolicyLoadException e)
        {
            unreadable = e.Message;
        }

        lock (_installing)
        {
            if (_current is { } installed && installed.Version >= snapshot.Version)
            {
                return;
            }

            _current = entry;
            Interlocked.Exchange(ref _confirmedAtTicks, time.GetUtcNow().UtcTicks);
            if (entry is null)
            {
                UnavailableReason = $"policy version {snapshot.Version} cannot be read by this node: {unreadable}";
                LogUnreadable(logger, snapshot.Version, unreadable!);
                return;
            }

            LogInstalled(logger, snapshot.Version, entry.Policy.Version);
        }
    }

    /// <summary>A compiled policy with its cluster version, and the decision of each rule made once (decisions are shared).</summary>
    public sealed class Entry
    {
        private readonly Dictionary<PolicyRule, Decision> _byRule;
        private readonly Decision _noMatch;
        private readonly Dictionary<string, ApprovalTerms> _terms = new(StringComparer.Ordinal);

        public Entry(long version, CompiledPolicy policy)
        {
            Version = version;
            Policy = policy;
            _noMatch = new Decision(DecisionEffect.Deny, GatewayRules.NoMatch, "no policy rule allows this statement", version, 0, policy.Version);
            _byRule = new Dictionary<PolicyRule, Decision>(ReferenceEqualityComparer.Instance);
            foreach (var rule in policy.Rules)
            {
                _byRule[rule] = rule.Effect switch
                {
                    PolicyEffect.Allow => new Decision(DecisionEffect.Allow, rule.Name, rule.Reason, version, 0, policy.Version),
                    PolicyEffect.Approve => new Decision(DecisionEffect.Approve, rule.Name, rule.Reason, version, 0, policy.Version),
                    _ => new Decision(DecisionEffect.Deny, rule.Name, rule.Reason, version, 0, policy.Version),
                };
                if (rule.Approval is { } terms)
                {
                    _terms[rule.Name] = terms;
                }
            }
        }

        public long Version { get; }

        /// <summary>The approval settings of the approve rule named <paramref name="rule"/> in this version, or null.</summary>
        public ApprovalTerms? TermsOf(string rule) => _terms.GetValueOrDefault(rule);

        public CompiledPolicy Policy { get; }

        /// <summary>The decision <paramref name="rule"/> makes (null: no rule matched), made once per rule and version.</summary>
        public Decision DecisionOf(PolicyRule? rule) => rule is null ? _noMatch : _byRule[rule];

        /// <summary>A refusal of the gateway's own (<see cref="GatewayRules"/>) under this version.</summary>
        public Decision Refusal(string rule, string reason) => new(DecisionEffect.Deny, rule, reason, Version, 0, Policy.Version);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Policy version {Version} ({Label}) now decides statements on this edge")]
    private static partial void LogInstalled(ILogger logger, long version, string label);

    [LoggerMessage(Level = LogLevel.Error, Message = "Policy version {Version} cannot be read by this node, so every statement is refused: {Error}")]
    private static partial void LogUnreadable(ILogger logger, long version, string error);
}
