using Microsoft.IdentityModel.Tokens;
using OrleansGate.Edge.Identity;

namespace OrleansGate.Edge.Tests.Identity;

/// <summary>Serves fixed keys per issuer, or fails, and counts how often it was asked.</summary>
internal sealed class StaticKeySource : IIssuerKeySource
{
    private readonly Dictionary<string, IReadOnlyList<SecurityKey>> _keys = new(StringComparer.Ordinal);

    public int Requests { get; private set; }

    public Exception? Failure { get; set; }

    public StaticKeySource Add(string issuer, params SecurityKey[] keys)
    {
        _keys[issuer] = keys;
        return this;
    }

    public ValueTask<IReadOnlyList<SecurityKey>> GetSigningKeysAsync(IssuerOptions issuer, CancellationToken ct)
    {
        Requests++;
        if (Failure is not null)
        {
            throw Failure;
        }

        return ValueTask.FromResult(_keys.TryGetValue(issuer.Issuer, out var keys) ? keys : []);
    }
}
