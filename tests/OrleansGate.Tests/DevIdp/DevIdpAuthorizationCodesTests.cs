using Microsoft.Extensions.Time.Testing;
using OrleansGate.Host.DevIdp;

namespace OrleansGate.Tests.DevIdp;

public sealed class DevIdpAuthorizationCodesTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2031, 3, 1, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Codes_are_43_character_base64url_and_redeem_once()
    {
        var codes = new DevIdpAuthorizationCodes(_time);
        var grant = Grant();

        var code = codes.TryIssue(grant)!;

        Assert.Matches("^[A-Za-z0-9_-]{43}$", code);
        Assert.Same(grant, codes.Redeem(code));
        Assert.Null(codes.Redeem(code));
    }

    [Fact]
    public void Store_full_of_live_codes_refuses_a_new_one_until_they_expire()
    {
        var codes = new DevIdpAuthorizationCodes(_time);
        for (var i = 0; i < DevIdpAuthorizationCodes.MaxPending; i++)
        {
            Assert.NotNull(codes.TryIssue(Grant()));
        }

        Assert.Null(codes.TryIssue(Grant()));

        _time.Advance(DevIdpAuthorizationCodes.Lifetime);
        Assert.NotNull(codes.TryIssue(Grant()));
    }

    private DevIdpAuthorizationGrant Grant()
    {
        var now = _time.GetUtcNow();
        return new DevIdpAuthorizationGrant("app", "http://127.0.0.1/cb", new string('A', 43), "alice", "", ["openid"], now, now + DevIdpAuthorizationCodes.Lifetime);
    }
}
