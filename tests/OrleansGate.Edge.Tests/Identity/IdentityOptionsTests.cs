using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OrleansGate.Edge.Identity;

namespace OrleansGate.Edge.Tests.Identity;

public sealed class IdentityOptionsTests
{
    [Theory]
    [InlineData("http://127.0.0.1:18080/oauth2/default")]
    [InlineData("http://localhost:18080/oauth2/default")]
    [InlineData("http://[::1]:18080/oauth2/default")]
    public void Plain_http_discovery_on_loopback_is_accepted_when_https_is_not_required(string issuer)
    {
        var options = Options(issuer, i => i.RequireHttps = false);

        var validator = CreateValidator(options);

        Assert.NotNull(validator);
    }

    [Theory]
    [InlineData("http://idp.example.test/oauth2/default", null)]
    [InlineData("https://idp.example.test/oauth2/default", null)]
    [InlineData("http://127.0.0.1:18080/oauth2/default", "http://10.0.0.5/.well-known/openid-configuration")]
    public void Relaxed_https_for_a_non_loopback_discovery_url_fails_at_startup(string issuer, string? discoveryUrl)
    {
        var options = Options(issuer, i =>
        {
            i.RequireHttps = false;
            i.DiscoveryUrl = discoveryUrl;
        });

        var ex = Assert.Throws<OptionsValidationException>(() => CreateValidator(options));

        Assert.Contains("RequireHttps=false is allowed only for a loopback discovery URL", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Plain_http_discovery_while_https_is_required_fails_at_startup()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => CreateValidator(Options("http://127.0.0.1:18080/oauth2/default")));

        Assert.Contains("is not https", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("HS256")]
    [InlineData("none")]
    [InlineData("rs256")]
    public void Symmetric_unknown_or_miscased_algorithm_in_configuration_fails_at_startup(string algorithm)
    {
        var ex = Assert.Throws<OptionsValidationException>(() => CreateValidator(Options(configure: i => i.Algorithms = ["RS256", algorithm])));

        Assert.Contains($"'{algorithm}' is not allowed", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Issuer_without_audience_fails_at_startup()
    {
        Assert.Throws<OptionsValidationException>(() => CreateValidator(Options(configure: i => i.Audiences = [])));
    }

    [Fact]
    public void Issuer_configured_twice_fails_at_startup()
    {
        var options = Options();
        options.Issuers.Add(Options().Issuers[0]);

        var ex = Assert.Throws<OptionsValidationException>(() => CreateValidator(options));

        Assert.Contains("more than once", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Clock_skew_over_five_minutes_fails_at_startup()
    {
        Assert.Throws<OptionsValidationException>(() => CreateValidator(Options(configure: i => i.ClockSkew = TimeSpan.FromMinutes(6))));
    }

    [Fact]
    public void Keys_max_age_of_zero_fails_at_startup()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => CreateValidator(Options(configure: i => i.KeysMaxAge = TimeSpan.Zero)));

        Assert.Contains("KeysMaxAge must be positive", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("00:04:59")]
    [InlineData("30.00:00:01")]
    public void Revoked_token_retention_outside_five_minutes_to_thirty_days_fails_at_startup(string retention)
    {
        var options = Options();
        options.RevokedTokenRetention = TimeSpan.Parse(retention, System.Globalization.CultureInfo.InvariantCulture);

        var ex = Assert.Throws<OptionsValidationException>(() => CreateValidator(options));

        Assert.Contains("RevokedTokenRetention must be between", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Revoked_token_retention_defaults_to_a_day()
    {
        Assert.Equal(TimeSpan.FromDays(1), new IdentityOptions().RevokedTokenRetention);
        Assert.Null(new IdentityOptions().RevokedTokenRetentionProblem());
    }

    [Fact]
    public void Discovery_url_defaults_to_the_issuer_well_known_document()
    {
        var issuer = new IssuerOptions { Issuer = "https://idp.example.test/oauth2/default/" };

        Assert.Equal("https://idp.example.test/oauth2/default/.well-known/openid-configuration", issuer.EffectiveDiscoveryUrl);
    }

    [Fact]
    public void AddTokenValidation_binds_issuers_and_a_configured_algorithm_list_replaces_the_default()
    {
        using var provider = BuildProvider(new Dictionary<string, string?>
        {
            ["Issuers:0:Issuer"] = "https://idp.example.test/oauth2/default",
            ["Issuers:0:Audiences:0"] = "api://orleansgate",
            ["Issuers:0:Algorithms:0"] = "ES256",
            ["Issuers:0:GroupsClaim"] = "roles",
            ["Issuers:0:ClockSkew"] = "00:00:30",
            ["Issuers:1:Issuer"] = "http://127.0.0.1:18080/oauth2/default",
            ["Issuers:1:Audiences:0"] = "api://dev",
            ["Issuers:1:RequireHttps"] = "false",
        });

        var options = provider.GetRequiredService<IOptions<IdentityOptions>>().Value;

        Assert.Equal(2, options.Issuers.Count);
        Assert.Equal(["ES256"], options.Issuers[0].Algorithms);
        Assert.Equal(["api://orleansgate"], options.Issuers[0].Audiences);
        Assert.Equal("roles", options.Issuers[0].GroupsClaim);
        Assert.Equal(TimeSpan.FromSeconds(30), options.Issuers[0].ClockSkew);
        Assert.Equal(["RS256", "ES256", "PS256"], options.Issuers[1].Algorithms);
        Assert.False(options.Issuers[1].RequireHttps);
        Assert.IsType<JwtTokenValidator>(provider.GetRequiredService<ITokenValidator>());
        Assert.IsType<DiscoveryIssuerKeySource>(provider.GetRequiredService<IIssuerKeySource>());
        Assert.Same(TimeProvider.System, provider.GetRequiredService<TimeProvider>());
    }

    [Fact]
    public void AddTokenValidation_binds_required_claims_and_token_reuse()
    {
        using var provider = BuildProvider(new Dictionary<string, string?>
        {
            ["Issuers:0:Issuer"] = "https://idp.example.test/oauth2/default",
            ["Issuers:0:Audiences:0"] = "api://orleansgate",
            ["Issuers:0:RequiredClaims:0"] = "jti",
            ["Issuers:0:RequiredClaims:1"] = "cid",
            ["Issuers:0:TokenReuse"] = "SingleUse",
        });

        var issuer = Assert.Single(provider.GetRequiredService<IOptions<IdentityOptions>>().Value.Issuers);

        Assert.Equal(["jti", "cid"], issuer.RequiredClaims);
        Assert.Equal(OrleansGate.Model.TokenReuse.SingleUse, issuer.TokenReuse);
    }

    [Fact]
    public void AddTokenValidation_keeps_a_time_provider_registered_before_it()
    {
        var time = new FakeTimeProvider();
        var services = new ServiceCollection().AddLogging().AddSingleton<TimeProvider>(time);

        using var provider = services.AddTokenValidation(new ConfigurationBuilder().Build()).BuildServiceProvider();

        Assert.Same(time, provider.GetRequiredService<TimeProvider>());
    }

    [Fact]
    public void AddTokenValidation_validates_the_bound_options()
    {
        using var provider = BuildProvider(new Dictionary<string, string?>
        {
            ["Issuers:0:Issuer"] = "https://idp.example.test/oauth2/default",
            ["Issuers:0:Audiences:0"] = "api://orleansgate",
            ["Issuers:0:DiscoveryUrl"] = "http://idp.example.test/.well-known/openid-configuration",
            ["Issuers:0:RequireHttps"] = "false",
        });

        Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<IdentityOptions>>().Value);
    }

    private static ServiceProvider BuildProvider(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddLogging().AddTokenValidation(configuration).BuildServiceProvider();
    }

    private static IdentityOptions Options(string issuer = JwtTokenValidatorTests.Issuer, Action<IssuerOptions>? configure = null)
    {
        var options = new IssuerOptions { Issuer = issuer, Audiences = [JwtTokenValidatorTests.Audience] };
        configure?.Invoke(options);
        return new IdentityOptions { Issuers = [options] };
    }

    private static JwtTokenValidator CreateValidator(IdentityOptions options) =>
        new(Microsoft.Extensions.Options.Options.Create(options), new StaticKeySource(), new FakeTimeProvider(), NullLogger<JwtTokenValidator>.Instance);
}
