using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using OrleansGate.Edge.Identity;

namespace OrleansGate.Edge.Http;

/// <summary>
/// Validated tokens by their SHA-256 (the token itself is never kept), each until its <c>exp</c>: an agent sends its
/// token with every request, and a signature check per request would cost more than the request. Refusals are not
/// kept (a forged token costs its sender a validation each time). A revocation ends the token's sessions, not this entry:
/// the next request opens a session, which the agent grain refuses.
/// </summary>
public sealed class AgentTokenCache(ITokenValidator validator, TimeProvider time)
{
    /// <summary>Entries kept at most; past it the expired ones go, then all (a flood of valid tokens is not expected).</summary>
    public const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<string, TokenValidationResult.Valid> _valid = new(StringComparer.Ordinal);

    public static string Hash(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    public async ValueTask<TokenValidationResult> ValidateAsync(string token, string hash, CancellationToken cancellationToken)
    {
        if (_valid.TryGetValue(hash, out var cached) && cached.Expires > time.GetUtcNow())
        {
            return cached;
        }

        var result = await validator.ValidateAsync(token, cancellationToken).ConfigureAwait(false);
        if (result is TokenValidationResult.Valid valid)
        {
            if (_valid.Count >= MaxEntries)
            {
                var now = time.GetUtcNow();
                foreach (var (key, entry) in _valid)
                {
                    if (entry.Expires <= now)
                    {
                        _valid.TryRemove(key, out _);
                    }
                }

                if (_valid.Count >= MaxEntries)
                {
                    _valid.Clear();
                }
            }

            _valid[hash] = valid;
        }
        else
        {
            _valid.TryRemove(hash, out _);
        }

        return result;
    }
}
