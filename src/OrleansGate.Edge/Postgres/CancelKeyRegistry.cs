using System.Collections.Concurrent;
using System.Security.Cryptography;
using OrleansGate.Grains;

namespace OrleansGate.Edge.Postgres;

/// <summary>
/// Cancel keys this edge issued, mapped to the upstream's. A client only ever sees the gateway's key, so it can
/// cancel its own session's statement and nothing else; an unknown key is ignored. The process id carries this
/// edge's slot (<see cref="CancelSlots"/>) so that another edge can route a cancel here.
/// </summary>
public sealed class CancelKeyRegistry
{
    private readonly ConcurrentDictionary<int, CancelTarget> _byProcessId = new();

    public (int ProcessId, int SecretKey) Issue(CancelTarget target, int slot)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slot);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(slot, CancelSlots.Max);
        while (true)
        {
            var processId = (slot << CancelSlots.LocalBits) | RandomNumberGenerator.GetInt32(1, 1 << CancelSlots.LocalBits);
            if (_byProcessId.TryAdd(processId, target))
            {
                return (processId, target.GatewaySecret);
            }
        }
    }

    /// <summary>Keys of sessions still open on this edge; back to its old value once they close (nothing leaks).</summary>
    public int Count => _byProcessId.Count;

    public void Remove(int processId) => _byProcessId.TryRemove(processId, out _);

    public bool TryResolve(int processId, int secretKey, out CancelTarget target)
    {
        if (_byProcessId.TryGetValue(processId, out target!)
            && CryptographicOperations.FixedTimeEquals(BitConverter.GetBytes(secretKey), BitConverter.GetBytes(target.GatewaySecret)))
        {
            return true;
        }

        target = null!;
        return false;
    }
}
