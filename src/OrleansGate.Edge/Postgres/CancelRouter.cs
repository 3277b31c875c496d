using System.Collections.Concurrent;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using OrleansGate.Grains;

namespace OrleansGate.Edge.Postgres;

/// <summary>
/// CancelRequest across the cluster: a key this edge issued is mapped to the upstream's and sent to the target; a key
/// another edge issued (its slot is in the process id) is handed to that edge, which checks the secret itself.
/// </summary>
/// <remarks>
/// <code>
///  client ─CancelRequest(pid, secret)─► edge B: own key? ──yes──► upstream CancelRequest(upstream pid, secret)
///                                                 └no: slot = pid's high bits ─► ICancelDirectoryGrain.Find(slot) (cached)
///                                                      ─► edge A's ICancelForwarder.Cancel(pid, secret) ─► A: own key? ─► upstream
/// </code>
/// Logins cost no grain call: the edge registers its slot once (on its first login) and again every
/// <see cref="RegistrationRefresh"/> in the background, so the directory can tell live edges from gone ones.
/// </remarks>
public sealed partial class CancelRouter : ICancelForwarder
{
    private static readonly TimeSpan RegistrationRefresh = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan CancelTimeout = TimeSpan.FromSeconds(5);

    private readonly CancelKeyRegistry _keys;
    private readonly IGrainFactory _grains;
    private readonly EdgeNode _node;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lazy<ICancelForwarder> _reference;
    private readonly SemaphoreSlim _registering = new(1, 1);
    private readonly ConcurrentDictionary<int, ICancelForwarder> _owners = new();
    private volatile Registration? _registration;

    public CancelRouter(CancelKeyRegistry keys, IGrainFactory grains, EdgeNode node, TimeProvider time, ILogger<CancelRouter> logger)
    {
        _keys = keys;
        _grains = grains;
        _node = node;
        _time = time;
        _logger = logger;
        _reference = new Lazy<ICancelForwarder>(() => grains.CreateObjectReference<ICancelForwarder>(this));
    }

    private ICancelDirectoryGrain Directory => _grains.GetGrain<ICancelDirectoryGrain>(ICancelDirectoryGrain.Key);

    /// <summary>Issues a key for a new session, routable from every edge once this edge has its slot.</summary>
    public async ValueTask<(int ProcessId, int SecretKey)> IssueAsync(CancelTarget target, CancellationToken ct) =>
        _keys.Issue(target, await SlotAsync(ct).ConfigureAwait(false));

    public void Remove(int processId) => _keys.Remove(processId);

    /// <summary>A CancelRequest received by this edge, from any client; never throws.</summary>
    public async Task CancelAsync(int processId, int secretKey, string client)
    {
        if (await CancelLocalAsync(processId, secretKey).ConfigureAwait(false))
        {
            return;
        }

        var slot = CancelSlots.SlotOf(processId);
        if (slot == 0 || slot == _registration?.Slot)
        {
            LogUnknownCancelKey(_logger, client);
            return;
        }

        // A cached owner may be an edge that restarted since: look it up again once.
        for (var attempt = 0; attempt < 2; attempt++)
        {
            try
            {
                var owner = _owners.TryGetValue(slot, out var cached) ? cached : await Directory.Find(slot).WaitAsync(CancelTimeout, _time).ConfigureAwait(false);
                if (owner is null)
                {
                    LogUnknownCancelKey(_logger, client);
                    return;
                }

                _owners[slot] = owner;
                await owner.Cancel(processId, secretKey).WaitAsync(CancelTimeout, _time).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _owners.TryRemove(slot, out _);
                LogCancelFailed(_logger, $"handing the cancel to the edge of slot {slot} failed: {e.Message}");
            }
        }
    }

    /// <summary>From another edge: only this edge's own keys, never forwarded again.</summary>
    Task ICancelForwarder.Cancel(int processId, int secretKey) => CancelLocalAsync(processId, secretKey);

    private async Task<bool> CancelLocalAsync(int processId, int secretKey)
    {
        if (!_keys.TryResolve(processId, secretKey, out var target))
        {
            return false;
        }

        if (target.Waiting.TryWithdraw())
        {
            // The session waits for an approval: nothing of that request runs at the target, the cancel withdraws it.
            return true;
        }

        try
        {
            await UpstreamCancel.SendAsync(target, CancelTimeout, _time).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or IOException)
        {
            LogCancelFailed(_logger, e.Message);
        }

        return true;
    }

    /// <summary>This edge's slot; 0 (keys cancellable on this edge only) while the directory cannot be reached.</summary>
    private async ValueTask<int> SlotAsync(CancellationToken ct)
    {
        var registration = _registration;
        if (registration is not null)
        {
            if (_time.GetUtcNow() - registration.At >= RegistrationRefresh && _registering.CurrentCount > 0)
            {
                _ = RegisterAsync(CancellationToken.None); // Off the login path; the slot stays the same for a live edge.
            }

            return registration.Slot;
        }

        return await RegisterAsync(ct).ConfigureAwait(false);
    }

    private async Task<int> RegisterAsync(CancellationToken ct)
    {
        await _registering.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var current = _registration;
            if (current is not null && _time.GetUtcNow() - current.At < RegistrationRefresh)
            {
                return current.Slot;
            }

            var slot = await Directory.Register(_node.Name, _reference.Value).WaitAsync(ct).ConfigureAwait(false);
            _registration = new Registration(slot, _time.GetUtcNow());
            return slot;
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            LogRegistrationFailed(_logger, e.Message);
            return _registration?.Slot ?? 0;
        }
        finally
        {
            _registering.Release();
        }
    }

    private sealed record Registration(int Slot, DateTimeOffset At);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cancel request from {Client} with a key the gateway did not issue: ignored")]
    private static partial void LogUnknownCancelKey(ILogger logger, string client);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Forwarding a cancel request failed: {Error}")]
    private static partial void LogCancelFailed(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Registering this edge's cancel slot failed (its sessions can be cancelled through this edge only until it succeeds): {Error}")]
    private static partial void LogRegistrationFailed(ILogger logger, string error);
}
