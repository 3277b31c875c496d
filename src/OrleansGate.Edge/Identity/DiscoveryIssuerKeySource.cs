using System.Collections.Concurrent;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using OrleansGate.Edge.Telemetry;

namespace OrleansGate.Edge.Identity;

/// <summary>
/// Signing keys from each issuer's OpenID Connect discovery document and JWKS, cached per node.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Cached keys are used without asking the IdP for as long as the JWKS response's <c>Cache-Control: max-age</c>
/// allows (<see cref="DefaultLifetime"/> without one; clamped to [<see cref="MinFetchInterval"/>, <see cref="MaxLifetime"/>]).</item>
/// <item>A token naming a <c>kid</c> the cache lacks triggers a refetch — that is how rotation is picked up — but the IdP
/// is asked at most once per issuer per <see cref="MinFetchInterval"/>, however many unknown kids arrive, so a flood of
/// forged kids cannot turn the gateway into a load generator against the IdP.</item>
/// <item>An unknown <c>kid</c> that arrives while the refetch is rate-limited waits (outside the issuer's gate, cancellable
/// by its connection) for the next allowed fetch, which all such waiters share; it waits once: if its kid is still unknown
/// after a fetch that finished since it began waiting, it is refused. So the first login after a rotation succeeds, normally at
/// most <see cref="MinFetchInterval"/> late (a slot later if the fetch it waited on was cancelled by its caller). The waiters are bounded by the listener's connections awaiting authentication.</item>
/// <item>When a fetch fails, the last good keys keep being used until they are older than the issuer's
/// <see cref="IssuerOptions.KeysMaxAge"/>; after that the issuer's tokens are refused with a clear reason (fail closed).</item>
/// </list>
/// Only the configured discovery URL and the <c>jwks_uri</c> it names are ever fetched; nothing a token says is.
/// </remarks>
public sealed partial class DiscoveryIssuerKeySource : IIssuerKeySource, IDisposable
{
    /// <summary>The name of the <see cref="HttpClient"/> registered by <see cref="IdentityServiceCollectionExtensions.AddTokenValidation"/>.</summary>
    public const string HttpClientName = "OrleansGate.Identity.Discovery";

    /// <summary>At most one fetch per issuer in this interval.</summary>
    public static readonly TimeSpan MinFetchInterval = TimeSpan.FromSeconds(10);

    /// <summary>How long keys are fresh when the JWKS response carries no usable <c>Cache-Control</c>.</summary>
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromHours(1);

    /// <summary>Upper bound on a <c>max-age</c>, so that a removed key stops being trusted within a day.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromHours(24);

    private readonly HttpClient _httpClient;
    private readonly TimeProvider _time;
    private readonly ILogger<DiscoveryIssuerKeySource> _logger;
    private readonly ConcurrentDictionary<string, IssuerKeyState> _states = new(StringComparer.Ordinal);

    /// <param name="httpClient">Used for discovery and JWKS requests; should not follow redirects.</param>
    public DiscoveryIssuerKeySource(HttpClient httpClient, ILogger<DiscoveryIssuerKeySource> logger)
        : this(httpClient, TimeProvider.System, logger)
    {
    }

    /// <param name="httpClient">Used for discovery and JWKS requests; should not follow redirects.</param>
    public DiscoveryIssuerKeySource(HttpClient httpClient, TimeProvider time, ILogger<DiscoveryIssuerKeySource> logger)
    {
        _httpClient = httpClient;
        _time = time;
        _logger = logger;
    }

    public ValueTask<IReadOnlyList<SecurityKey>> GetSigningKeysAsync(IssuerOptions issuer, CancellationToken ct) =>
        GetSigningKeysAsync(issuer, keyId: null, ct);

    public async ValueTask<IReadOnlyList<SecurityKey>> GetSigningKeysAsync(IssuerOptions issuer, string? keyId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        var state = _states.GetOrAdd($"{issuer.Issuer}\n{issuer.EffectiveDiscoveryUrl}\n{issuer.RequireHttps}", _ => new IssuerKeyState());

        // Fast path, no lock: fresh keys that include the token's kid.
        if (state.Current is { } cached && _time.GetUtcNow() < cached.FreshUntil && cached.Has(keyId))
        {
            return cached.Keys;
        }

        // The number of finished fetches when this caller began waiting for a fetch slot; null until it waits.
        long? waitedAtAttempt = null;
        while (true)
        {
            Task slot;
            await state.Gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                var now = _time.GetUtcNow();
                var current = state.Current;

                // Another caller may have fetched while this one waited for the gate or a fetch slot.
                if (current is not null && now < current.FreshUntil && current.Has(keyId))
                {
                    return current.Keys;
                }

                if (state.LastAttempt is not { } last || now - last >= MinFetchInterval)
                {
                    return await FetchAsync(issuer, state, current, now, ct).ConfigureAwait(false);
                }

                // Rate-limited. Known kids (or a fetch that just failed) are served from the cache or refused at once; an
                // unknown kid waits once for the next allowed fetch, as the IdP may have just started signing with a new key.
                var waitedThroughAFetch = waitedAtAttempt is { } at && at != state.Attempts;
                if (state.LastFailure is not null || (current is not null && current.Has(keyId)) || waitedThroughAFetch)
                {
                    return Serve(issuer, current, now, state.LastFailure);
                }

                waitedAtAttempt ??= state.Attempts;
                slot = NextSlot(issuer, state, last + MinFetchInterval, now);
            }
            finally
            {
                state.Gate.Release();
            }

            // Outside the gate, so that callers with known kids do not queue behind the wait.
            state.EnterWait();
            try
            {
                await slot.WaitAsync(ct).ConfigureAwait(false);
            }
            finally
            {
                state.ExitWait();
            }
        }
    }

    /// <summary>Callers waiting for a fetch slot on this node, over all issuers (tests poll it before moving the clock).</summary>
    internal int Waiting => _states.Values.Sum(s => s.Waiting);

    public void Dispose()
    {
        foreach (var state in _states.Values)
        {
            state.Dispose();
        }
    }

    /// <summary>One fetch, under the issuer's gate: every caller waiting for it reads its result.</summary>
    private async Task<IReadOnlyList<SecurityKey>> FetchAsync(IssuerOptions issuer, IssuerKeyState state, IssuerKeySnapshot? current, DateTimeOffset now, CancellationToken ct)
    {
        // The attempt counts against the rate limit even if cancelled (a client hanging up must not buy a refetch), but only
        // a finished one ends other callers' wait: one connection closing mid-fetch must not refuse the logins waiting on it.
        state.LastAttempt = now;
        try
        {
            var fetched = await FetchAsync(issuer, now, ct).ConfigureAwait(false);
            state.Attempts++;
            IdentityTelemetry.Fetched(ok: true);
            state.Current = fetched;
            state.LastFailure = null;
            LogKeysFetched(_logger, issuer.Issuer, fetched.Keys.Count, fetched.FreshUntil - now);
            return fetched.Keys;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            LogFetchFailed(_logger, issuer.Issuer, issuer.EffectiveDiscoveryUrl, ex);
            state.Attempts++;
            IdentityTelemetry.Fetched(ok: false);
            state.LastFailure = ex is IssuerKeysUnavailableException
                ? ex.Message
                : $"discovery document or JWKS of issuer {issuer.Issuer} could not be fetched from {issuer.EffectiveDiscoveryUrl}: {ex.Message}";
            return Serve(issuer, current, now, state.LastFailure);
        }
    }

    /// <summary>The wait until <paramref name="at"/> that all callers with an unknown kid share; under the issuer's gate.</summary>
    private Task NextSlot(IssuerOptions issuer, IssuerKeyState state, DateTimeOffset at, DateTimeOffset now)
    {
        // One timer per burst; a finished one is replaced only if its timer fired a tick before the clock reached the slot.
        if (state.NextSlot is { IsCompleted: false } && state.NextSlotAt == at)
        {
            return state.NextSlot;
        }

        if (state.NextSlotAt != at)
        {
            LogWaitingForFetchSlot(_logger, issuer.Issuer, at - now);
        }

        // Not cancellable: each caller stops waiting on its own token (WaitAsync), the shared timer runs on.
        state.NextSlot = Task.Delay(at - now, _time);
        state.NextSlotAt = at;
        return state.NextSlot;
    }

    /// <summary>Without a fresh fetch: the last good keys while they are younger than KeysMaxAge, else a clear refusal.</summary>
    private IReadOnlyList<SecurityKey> Serve(IssuerOptions issuer, IssuerKeySnapshot? current, DateTimeOffset now, string? failure)
    {
        if (current is null)
        {
            throw new IssuerKeysUnavailableException(issuer.Issuer, failure ?? $"signing keys of issuer {issuer.Issuer} have not been fetched yet", null);
        }

        var age = now - current.FetchedAt;
        if (age > issuer.KeysMaxAge)
        {
            throw new IssuerKeysUnavailableException(
                issuer.Issuer,
                $"last known keys of issuer {issuer.Issuer} are {age:c} old, beyond KeysMaxAge {issuer.KeysMaxAge:c}, and could not be refreshed: {failure ?? "refetch rate-limited"}",
                null);
        }

        if (failure is not null && now >= current.FreshUntil)
        {
            LogServingLastKnownGood(_logger, issuer.Issuer, age);
        }

        return current.Keys;
    }

    private async Task<IssuerKeySnapshot> FetchAsync(IssuerOptions issuer, DateTimeOffset now, CancellationToken ct)
    {
        var discoveryUrl = issuer.EffectiveDiscoveryUrl;
        var (discoveryJson, _) = await GetAsync(new Uri(discoveryUrl, UriKind.Absolute), issuer, ct).ConfigureAwait(false);
        var configuration = OpenIdConnectConfiguration.Create(discoveryJson);

        // OIDC Discovery §4.3: the document must name the issuer it was fetched for, or its keys are someone else's.
        if (!string.Equals(configuration.Issuer, issuer.Issuer, StringComparison.Ordinal))
        {
            throw new IssuerKeysUnavailableException(issuer.Issuer, $"discovery document at {discoveryUrl} names issuer '{configuration.Issuer}', not '{issuer.Issuer}'", null);
        }

        if (!Uri.TryCreate(configuration.JwksUri, UriKind.Absolute, out var jwksUri))
        {
            throw new IssuerKeysUnavailableException(issuer.Issuer, $"discovery document at {discoveryUrl} has no absolute jwks_uri", null);
        }

        var (jwksJson, cacheControl) = await GetAsync(jwksUri, issuer, ct).ConfigureAwait(false);
        var keys = new JsonWebKeySet(jwksJson).GetSigningKeys();
        if (keys.Count == 0)
        {
            throw new IssuerKeysUnavailableException(issuer.Issuer, $"JWKS of issuer {issuer.Issuer} holds no signing keys", null);
        }

        return new IssuerKeySnapshot([.. keys], now, now + Lifetime(cacheControl));
    }

    private async Task<(string Body, CacheControlHeaderValue? CacheControl)> GetAsync(Uri uri, IssuerOptions issuer, CancellationToken ct)
    {
        // The jwks_uri comes from a fetched document, so https is enforced on it too, not only on the configured URL.
        if (uri.Scheme != Uri.UriSchemeHttps && (issuer.RequireHttps || uri.Scheme != Uri.UriSchemeHttp))
        {
            throw new IssuerKeysUnavailableException(issuer.Issuer, $"{uri} is not https; keys of issuer {issuer.Issuer} are fetched over https only", null);
        }

        using var response = await _httpClient.GetAsync(uri, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{uri} answered HTTP {(int)response.StatusCode}", inner: null, response.StatusCode);
        }

        var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        return (body, response.Headers.CacheControl);
    }

    private static TimeSpan Lifetime(CacheControlHeaderValue? cacheControl)
    {
        if (cacheControl is null)
        {
            return DefaultLifetime;
        }

        // no-store/no-cache: ask again whenever the rate limit allows.
        if (cacheControl.NoStore || cacheControl.NoCache)
        {
            return MinFetchInterval;
        }

        if (cacheControl.MaxAge is not { } maxAge)
        {
            return DefaultLifetime;
        }

        return maxAge < MinFetchInterval ? MinFetchInterval : maxAge > MaxLifetime ? MaxLifetime : maxAge;
    }

    [LoggerMessage(EventId = 2110, Level = LogLevel.Warning, Message = "Could not fetch discovery document or JWKS of issuer {Issuer} from {DiscoveryUrl}")]
    private static partial void LogFetchFailed(ILogger logger, string issuer, string discoveryUrl, Exception exception);

    [LoggerMessage(EventId = 2111, Level = LogLevel.Information, Message = "Fetched {KeyCount} signing key(s) of issuer {Issuer}; fresh for {Lifetime}")]
    private static partial void LogKeysFetched(ILogger logger, string issuer, int keyCount, TimeSpan lifetime);

    [LoggerMessage(EventId = 2113, Level = LogLevel.Information, Message = "A token of issuer {Issuer} names a key id its cached keys lack; logins with unknown key ids wait {Delay} for the next allowed key fetch")]
    private static partial void LogWaitingForFetchSlot(ILogger logger, string issuer, TimeSpan delay);

    [LoggerMessage(EventId = 2112, Level = LogLevel.Warning, Message = "Using last known keys of issuer {Issuer} ({Age} old) while its IdP cannot be reached")]
    private static partial void LogServingLastKnownGood(ILogger logger, string issuer, TimeSpan age);
}
