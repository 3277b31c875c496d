using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using OrleansGate.Edge.Postgres;
using OrleansGate.Edge.Targets;
using OrleansGate.Policy.Model;
using OrleansGate.Postgres.Protocol;

namespace OrleansGate.Edge.Masking;

/// <summary>
/// The catalogs of the targets, for masking: one per edge node, shared by every session, thread-safe.
/// </summary>
/// <remarks>
/// <code>
///   GetAsync(target, masks, version)
///     │ snapshot entry of target, loaded once (again after Invalidate or a newer policy version)
///     ▼
///   CatalogSnapshot ──MaskBinder──► TargetMaskCatalog, cached in the entry per (mask names, version)
/// </code>
/// Concurrent callers share one load; a caller that gives up does not cancel it for the others. A failed load fails
/// every statement waiting on it and is then replaced, so the next statement tries again.
/// </remarks>
public sealed partial class MaskCatalogCache(UpstreamConnector connector, TimeProvider time, ILogger<MaskCatalogCache> logger)
{
    /// <summary>A whole load (dial, log in, three queries); past it the statement waiting is refused.</summary>
    internal static readonly TimeSpan LoadTimeout = TimeSpan.FromSeconds(30);

    // UTF8 so names read as the catalog spells them whatever the target's default client encoding.
    private static readonly KeyValuePair<string, string>[] ClientParameters =
    [
        new("application_name", "orleansgate-mask-catalog"),
        new("client_encoding", "UTF8"),
    ];

    private readonly ConcurrentDictionary<string, SnapshotEntry> _entries = new(StringComparer.Ordinal);

    /// <summary>
    /// The catalog of <paramref name="target"/> for this set of masks (those that apply to the session, in policy
    /// order) and policy version.
    /// </summary>
    /// <exception cref="MaskCatalogUnavailableException">The catalog cannot be read; the statement must be refused.</exception>
    public async ValueTask<TargetMaskCatalog> GetAsync(ResolvedTarget target, IReadOnlyList<PolicyMask> masks, long policyVersion, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(masks);
        var entry = CurrentEntry(target, policyVersion);
        var snapshot = await entry.Snapshot.WaitAsync(ct).ConfigureAwait(false);

        // Binding is pure and quick: two callers racing may both bind, and one result is kept.
        var key = (string.Join('\n', masks.Select(m => m.Name)), policyVersion);
        return entry.Bound.GetOrAdd(key, static (_, state) => MaskBinder.Bind(state.snapshot, state.masks), (snapshot, masks));
    }

    /// <summary>
    /// A DDL statement ran on the target (or a relation OID unknown to the catalog was seen): the next
    /// <see cref="GetAsync"/> reloads. Sessions holding a <see cref="TargetMaskCatalog"/> keep it until they ask again.
    /// </summary>
    public void Invalidate(string targetName)
    {
        if (_entries.TryRemove(targetName, out _))
        {
            LogInvalidated(logger, targetName);
        }
    }

    private SnapshotEntry CurrentEntry(ResolvedTarget target, long policyVersion)
    {
        while (true)
        {
            if (_entries.TryGetValue(target.Name, out var current))
            {
                if (current.PolicyVersion >= policyVersion && !current.Failed)
                {
                    return current;
                }

                var newer = new SnapshotEntry(policyVersion, () => LoadAsync(target));
                if (_entries.TryUpdate(target.Name, newer, current))
                {
                    return newer;
                }
            }
            else
            {
                var first = new SnapshotEntry(policyVersion, () => LoadAsync(target));
                if (_entries.TryAdd(target.Name, first))
                {
                    return first;
                }
            }
        }
    }

    private async Task<CatalogSnapshot> LoadAsync(ResolvedTarget target)
    {
        // Its own deadline, not a caller's token: the load is shared, and one caller giving up must not fail the rest.
        using var timeout = new CancellationTokenSource(LoadTimeout, time);
        var started = time.GetTimestamp();
        try
        {
            var connection = await connector.ConnectAsync(target, ClientParameters, timeout.Token).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                var snapshot = await CatalogLoader.LoadAsync(connection, timeout.Token).ConfigureAwait(false);
                FrontendWriter.Terminate(connection.Output);
                await connection.Output.FlushAsync(timeout.Token).ConfigureAwait(false);
                LogLoaded(logger, target.Name, snapshot.Relations.Count, snapshot.ColumnCount, time.GetElapsedTime(started).TotalMilliseconds);
                return snapshot;
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw Unavailable(target, $"timed out after {LoadTimeout.TotalSeconds:0} s", null);
        }
        catch (Exception e) when (e is UpstreamException or CatalogQueryException or PgProtocolException or IOException)
        {
            throw Unavailable(target, e.Message, e);
        }
    }

    private MaskCatalogUnavailableException Unavailable(ResolvedTarget target, string reason, Exception? inner)
    {
        LogLoadFailed(logger, target.Name, reason);
        return new MaskCatalogUnavailableException(target.Name, reason, inner);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Mask catalog of target {Target} loaded: {Relations} relations, {Columns} columns in {ElapsedMs:0} ms")]
    private static partial void LogLoaded(ILogger logger, string target, int relations, int columns, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Mask catalog of target {Target} cannot be read: {Error}")]
    private static partial void LogLoadFailed(ILogger logger, string target, string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Mask catalog of target {Target} invalidated")]
    private static partial void LogInvalidated(ILogger logger, string target);

    /// <summary>One load of a target's catalog and the mask sets bound to it; started by the first caller that needs it.</summary>
    private sealed class SnapshotEntry(long policyVersion, Func<Task<CatalogSnapshot>> load)
    {
        private readonly Lazy<Task<CatalogSnapshot>> _snapshot = new(load, LazyThreadSafetyMode.ExecutionAndPublication);

        public long PolicyVersion { get; } = policyVersion;

        public Task<CatalogSnapshot> Snapshot => _snapshot.Value;

        /// <summary>A failed load is replaced by the next caller, even when every caller of this one gave up waiting.</summary>
        public bool Failed => _snapshot.IsValueCreated && _snapshot.Value is { IsCompleted: true, IsCompletedSuccessfully: false };

        public ConcurrentDictionary<(string MaskNames, long PolicyVersion), TargetMaskCatalog> Bound { get; } = new();
    }
}
