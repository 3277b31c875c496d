using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SecurityKey = Microsoft.IdentityModel.Tokens.SecurityKey;
using OrleansGate.Edge.Identity;

namespace OrleansGate.Edge.Tests.Identity;

/// <summary>An unknown kid during the refetch cooldown waits for the next allowed fetch instead of being refused at once.</summary>
public sealed partial class DiscoveryIssuerKeySourceTests
{
    private const string WaitLine = "for the next allowed key fetch";

    private static readonly AsyncLocal<string?> Caller = new();

    [Fact]
    public async Task Unknown_kid_during_the_refetch_cooldown_waits_and_succeeds_after_exactly_one_fetch()
    {
        _http.Respond(DiscoveryUrl, Discovery(Issuer)).Respond(JwksUrl, Jwks("key-1"), cacheControl: "max-age=3600");
        var logger = new ListLogger<DiscoveryIssuerKeySource>();
        var source = CreateSource(logger);
        await source.GetSigningKeysAsync(IssuerOptions(), "key-1", default);

        // The IdP rotates one second after the node's first fetch and signs with the new key at once.
        _time.Advance(TimeSpan.FromSeconds(1));
        _http.Respond(JwksUrl, Jwks(("key-1", _rsa), ("key-2", _rotated)), cacheControl: "max-age=3600");
        var waiting = source.GetSigningKeysAsync(IssuerOptions(), "key-2", default).AsTask();
        await WaitersAsync(source, 1);

        // Callers with known kids are not held behind the wait.
        Assert.Equal("key-1", Assert.Single(await source.GetSigningKeysAsync(IssuerOptions(), "key-1", default)).KeyId);

        _time.Advance(TimeSpan.FromSeconds(9) - TimeSpan.FromMilliseconds(1));
        Assert.False(waiting.IsCompleted);
        Assert.Equal(1, _http.Count(JwksUrl));

        _time.Advance(TimeSpan.FromMilliseconds(1));
        var keys = await waiting;

        Assert.Equal(["key-1", "key-2"], keys.Select(k => k.KeyId));
        Assert.Equal(2, _http.Count(JwksUrl));
        Assert.Equal(0, source.Waiting);
        Assert.Single(logger.Lines, l => l.Contains(WaitLine, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Five_hundred_waiting_forged_kids_cause_exactly_one_fetch_and_are_all_refused()
    {
        _http.Respond(DiscoveryUrl, Discovery(Issuer)).Respond(JwksUrl, Jwks("key-1"), cacheControl: "max-age=3600");
        var logger = new ListLogger<DiscoveryIssuerKeySource>();
        var source = CreateSource(logger);
        var validator = new JwtTokenValidator(Options.Create(new IdentityOptions { Issuers = [IssuerOptions()] }), source, _time, NullLogger<JwtTokenValidator>.Instance);
        Assert.IsType<TokenValidationResult.Valid>(await validator.ValidateAsync(Token("key-1"), default));
        _time.Advance(TimeSpan.FromSeconds(1));

        var forged = Enumerable.Range(0, 500)
            .Select(i => TestJwt.Create(new JsonObject { ["alg"] = "RS256", ["kid"] = $"forged-{i}" }, Claims(), TestJwt.Rs256(_rotated)))
            .ToList();
        var logins = forged.Select(t => validator.ValidateAsync(t, default).AsTask()).ToList();
        await WaitersAsync(source, 500);
        Assert.Equal(1, _http.Count(JwksUrl));

        _time.Advance(TimeSpan.FromSeconds(9));
        var results = await Task.WhenAll(logins);

        Assert.All(results, r => Assert.Equal("signing key not found", Assert.IsType<TokenValidationResult.Invalid>(r).Reason));
        Assert.Equal(2, _http.Count(JwksUrl));
        Assert.Single(logger.Lines, l => l.Contains(WaitLine, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Flood_of_unknown_kids_causes_at_most_one_fetch_per_ten_seconds()
    {
        _http.Respond(DiscoveryUrl, Discovery(Issuer)).Respond(JwksUrl, Jwks("key-1"), cacheControl: "max-age=3600");
        var logger = new ListLogger<DiscoveryIssuerKeySource>();
        var source = CreateSource(logger);
        await source.GetSigningKeysAsync(IssuerOptions(), "key-1", default);
        _time.Advance(TimeSpan.FromSeconds(10));

        // The first forged kid fetches; the other 499 came after that fetch, so they wait for the next slot.
        var first = Flood(source, 500);
        await WaitersAsync(source, 499);
        Assert.Equal(2, _http.Count(JwksUrl));

        // A second flood inside the same 10 s joins the same wait: no fetch of its own.
        var second = Flood(source, 500);
        await WaitersAsync(source, 999);
        _time.Advance(TimeSpan.FromSeconds(9.999));
        Assert.Equal(2, _http.Count(JwksUrl));
        Assert.Equal(999, source.Waiting);

        _time.Advance(TimeSpan.FromMilliseconds(1));
        await Task.WhenAll(first, second);
        Assert.Equal(3, _http.Count(JwksUrl));
        Assert.Equal(3, _http.Count(DiscoveryUrl));

        // Each burst of waiting logs one line, not one per waiter.
        Assert.Single(logger.Lines, l => l.Contains(WaitLine, StringComparison.Ordinal));
        var third = Flood(source, 500);
        await WaitersAsync(source, 500);
        _time.Advance(TimeSpan.FromSeconds(10));
        await third;
        Assert.Equal(4, _http.Count(JwksUrl));
        Assert.Equal(2, logger.Lines.Count(l => l.Contains(WaitLine, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Cancelled_wait_ends_that_caller_only_and_fetches_nothing_of_its_own()
    {
        _http.Respond(DiscoveryUrl, Discovery(Issuer)).Respond(JwksUrl, Jwks("key-1"), cacheControl: "max-age=3600");
        var source = CreateSource();
        await source.GetSigningKeysAsync(IssuerOptions(), "key-1", default);
        _time.Advance(TimeSpan.FromSeconds(1));
        _http.Respond(JwksUrl, Jwks(("key-1", _rsa), ("key-2", _rotated)), cacheControl: "max-age=3600");

        using var connectionClosed = new CancellationTokenSource();
        var cancelled = source.GetSigningKeysAsync(IssuerOptions(), "key-2", connectionClosed.Token).AsTask();
        var other = source.GetSigningKeysAsync(IssuerOptions(), "key-2", default).AsTask();
        await WaitersAsync(source, 2);

        await connectionClosed.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Equal(1, source.Waiting);
        Assert.Equal(1, _http.Count(JwksUrl));

        _time.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(["key-1", "key-2"], (await other).Select(k => k.KeyId));
        Assert.Equal(2, _http.Count(JwksUrl));
    }

    [Fact]
    public async Task Wait_outlasts_a_fetch_cancelled_by_the_connection_that_made_it()
    {
        _http.Respond(DiscoveryUrl, Discovery(Issuer)).Respond(JwksUrl, Jwks("key-1"), cacheControl: "max-age=3600");
        using var held = new HeldHttpHandler(_http);
        var source = new DiscoveryIssuerKeySource(new HttpClient(held, disposeHandler: false), _time, NullLogger<DiscoveryIssuerKeySource>.Instance);
        await source.GetSigningKeysAsync(IssuerOptions(), "key-1", default);
        _time.Advance(TimeSpan.FromSeconds(1));
        _http.Respond(JwksUrl, Jwks(("key-1", _rsa), ("key-2", _rotated)), cacheControl: "max-age=3600");

        using var closedA = new CancellationTokenSource();
        using var closedB = new CancellationTokenSource();
        var a = CallAsync(source, "a", closedA.Token);
        var b = CallAsync(source, "b", closedB.Token);
        await WaitersAsync(source, 2);

        // At the slot one waiter fetches for both; its client hangs up mid-fetch.
        held.Hold();
        _time.Advance(TimeSpan.FromSeconds(9));
        var aFetches = await held.HeldCaller == "a";
        var (fetcherClosed, fetcher, other) = aFetches ? (closedA, a, b) : (closedB, b, a);
        await fetcherClosed.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fetcher);

        // The other is not refused on a fetch that never finished: it waits for the next slot (the rate limit holds).
        await WaitersAsync(source, 1);
        Assert.False(other.IsCompleted);
        held.Release();
        _time.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(["key-1", "key-2"], (await other).Select(k => k.KeyId));
        Assert.Equal(2, _http.Count(JwksUrl));
        Assert.Equal(2, _http.Count(DiscoveryUrl));
    }

    [Fact]
    public async Task Unknown_kid_right_after_a_failed_fetch_is_refused_without_waiting()
    {
        _http.Respond(DiscoveryUrl, Discovery(Issuer)).Respond(JwksUrl, Jwks("key-1"), cacheControl: "max-age=60");
        var source = CreateSource();
        await source.GetSigningKeysAsync(IssuerOptions(), "key-1", default);

        // Keys go stale and the IdP is down: the refetch fails, and an unknown kid within 10 s is not held for a retry.
        _http.Respond(JwksUrl, "{}", HttpStatusCode.ServiceUnavailable);
        _time.Advance(TimeSpan.FromSeconds(60));
        await source.GetSigningKeysAsync(IssuerOptions(), "key-1", default);
        var keys = await source.GetSigningKeysAsync(IssuerOptions(), "key-2", default);

        Assert.Equal("key-1", Assert.Single(keys).KeyId);
        Assert.Equal(0, source.Waiting);
        Assert.Equal(2, _http.Count(JwksUrl));
    }

    private static Task Flood(DiscoveryIssuerKeySource source, int count) =>
        Task.WhenAll(Enumerable.Range(0, count).Select(_ => source.GetSigningKeysAsync(IssuerOptions(), $"forged-{Guid.NewGuid():N}", default).AsTask()));

    /// <summary>A call whose HTTP requests <see cref="HeldHttpHandler"/> can attribute to <paramref name="caller"/>.</summary>
    private static async Task<IReadOnlyList<SecurityKey>> CallAsync(DiscoveryIssuerKeySource source, string caller, CancellationToken ct)
    {
        // Set inside an async method, so the value flows with this call only and is gone when it returns.
        Caller.Value = caller;
        return await source.GetSigningKeysAsync(IssuerOptions(), "key-2", ct);
    }

    /// <summary>Until <paramref name="count"/> callers wait for a fetch slot (so moving the fake clock releases all of them).</summary>
    private static async Task WaitersAsync(DiscoveryIssuerKeySource source, int count)
    {
        var clock = Stopwatch.StartNew();
        while (source.Waiting != count)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"{source.Waiting} caller(s) wait for a fetch slot, expected {count}");
            await Task.Yield();
        }
    }

    /// <summary>Once held, keeps the next request until released or cancelled, and says which caller made it.</summary>
    private sealed class HeldHttpHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        private readonly TaskCompletionSource<string?> _heldCaller = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private volatile bool _holding;

        public Task<string?> HeldCaller => _heldCaller.Task;

        public void Hold() => _holding = true;

        public void Release() => _release.TrySetResult();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (_holding)
            {
                _heldCaller.TrySetResult(Caller.Value);
                await _release.Task.WaitAsync(cancellationToken);
            }

            return await base.SendAsync(request, cancellationToken);
        }
    }
}
