using OrleansGate.Grains.Approvals.Notifications;
using OrleansGate.Tests.DevIdp;

namespace OrleansGate.Tests.Approvals;

public sealed class ApprovalNotificationOptionsValidatorTests : IDisposable
{
    private const string At = "OrleansGate:Approvals:Notifications";
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Nothing_configured_is_valid() =>
        Assert.True(Validate(new ApprovalNotificationOptions()).Succeeded);

    [Fact]
    public void Webhook_url_given_both_by_variable_and_file_is_refused()
    {
        var options = new ApprovalNotificationOptions { Slack = { WebhookUrlEnv = "SLACK_URL", WebhookUrlFile = "/etc/slack" } };

        Assert.Contains($"{At}:Slack: give one of WebhookUrlEnv and WebhookUrlFile, not both.", Validate(options).Failures!);
    }

    [Fact]
    public void Webhook_url_variable_that_is_not_set_is_refused_naming_the_variable()
    {
        var variable = "ORLEANSGATE_TEST_UNSET_" + Guid.NewGuid().ToString("N");

        var result = Validate(new ApprovalNotificationOptions { Slack = { WebhookUrlEnv = variable } });

        Assert.Contains($"{At}:Slack:WebhookUrlEnv: environment variable {variable} is not set or empty", result.Failures!);
    }

    [Fact]
    public void Webhook_url_file_holding_plain_http_to_another_host_is_refused_without_echoing_the_url()
    {
        var file = Path.Combine(_directory.Path, "url");
        File.WriteAllText(file, "http://hooks.example.com/services/T0/B0/sEcReT\n");

        var result = Validate(new ApprovalNotificationOptions { Slack = { WebhookUrlFile = file } });

        var failure = Assert.Single(result.Failures!);
        Assert.Equal($"{At}:Slack:WebhookUrlFile does not hold an absolute https URL.", failure);
    }

    [Fact]
    public void Signing_secret_without_any_mapped_user_is_refused()
    {
        var file = Path.Combine(_directory.Path, "secret");
        File.WriteAllText(file, "s3cret\n");

        var result = Validate(new ApprovalNotificationOptions { Slack = { SigningSecretFile = file } });

        Assert.Contains($"{At}:Slack:Users maps no Slack user to an approver: every vote from Slack would be refused.", result.Failures!);
    }

    [Fact]
    public void Mapped_users_without_a_signing_secret_and_without_a_subject_are_refused()
    {
        var options = new ApprovalNotificationOptions { Slack = { Users = { ["U1"] = new SlackApproverOptions { Issuer = "https://idp.example" } } } };

        var failures = Validate(options).Failures!;

        Assert.Contains(failures, f => f.StartsWith($"{At}:Slack:Users is set but SigningSecretEnv/SigningSecretFile is not", StringComparison.Ordinal));
        Assert.Contains($"{At}:Slack:Users:U1 needs Issuer and Subject (the approver that Slack user votes as).", failures);
    }

    [Theory]
    [InlineData("ftp://example.com/hook")]
    [InlineData("http://example.com/hook")]
    [InlineData("/relative")]
    public void Webhook_url_that_is_not_https_or_loopback_http_is_refused(string url) =>
        Assert.Contains(
            $"{At}:Webhook:Url must be an absolute https URL (http only to a loopback address).",
            Validate(new ApprovalNotificationOptions { Webhook = { Url = url } }).Failures!);

    [Fact]
    public void Retry_settings_out_of_range_are_refused()
    {
        var options = new ApprovalNotificationOptions { MaxAttempts = 0, QueueCapacity = 0, FirstRetryDelay = TimeSpan.FromSeconds(10), MaxRetryDelay = TimeSpan.FromSeconds(5) };

        Assert.Equal(3, Validate(options).Failures!.Count());
    }

    private static Microsoft.Extensions.Options.ValidateOptionsResult Validate(ApprovalNotificationOptions options) =>
        new ApprovalNotificationOptionsValidator().Validate(null, options);
}
