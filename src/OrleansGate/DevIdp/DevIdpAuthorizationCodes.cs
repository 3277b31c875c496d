using System.Buffers.Text;
using System.Security.Cryptography;

namespace OrleansGate.Host.DevIdp;

/// <summary>
/// The authorization codes issued and not yet redeemed. Kept in memory only: this is a development IdP with one
/// instance, so a restart simply makes people sign in again. The number is bounded, so a flood of sign-ins can
/// not grow memory without limit.
/// </summary>
internal sealed class DevIdpAuthorizationCodes
{
    /// <summary>How long a code may wait to be redeemed; RFC 6749 §4.1.2 recommends at most ten minutes, a browser needs seconds.</summary>
    internal static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(60);

    internal const int MaxPending = 1024;

    private readonly TimeProvider _time;
    private readonly Lock _sync = new();
    private readonly Dictionary<string, DevIdpAuthorizationGrant> _pending = new(StringComparer.Ordinal);

    public DevIdpAuthorizationCodes(TimeProvider time) => _time = time;

    /// <summary>A new single-use code for <paramref name="grant"/>: 32 random bytes, base64url; null when too many are pending.</summary>
    public string? TryIssue(DevIdpAuthorizationGrant grant)
    {
        var code = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        lock (_sync)
        {
            if (_pending.Count >= MaxPending)
            {
                var now = _time.GetUtcNow();
                foreach (var expired in _pending.Where(p => p.Value.Expires <= now).Select(p => p.Key).ToList())
                {
                    _pending.Remove(expired);
                }

                if (_pending.Count >= MaxPending)
                {
                    return null;
                }
            }

            _pending.Add(code, grant);
        }

        return code;
    }

    /// <summary>
    /// Takes the grant for <paramref name="code"/> out of the store, expired or not, so that any attempt uses the code
    /// up: a second redemption, or a retry after a wrong verifier, finds nothing (RFC 6749 §4.1.2: single use).
    /// </summary>
    public DevIdpAuthorizationGrant? Redeem(string code)
    {
        lock (_sync)
        {
            return _pending.Remove(code, out var grant) ? grant : null;
        }
    }
}
