using OrleansGate.Policy.Masking;

namespace OrleansGate.Policy.Tests.Masking;

public sealed class PemPrivateKeyDetectorTests
{
    private const string Key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA0Z3VS5JJcds3xfn\n-----END RSA PRIVATE KEY-----";

    private static readonly PemPrivateKeyDetector Detector = new();

    [Fact]
    public void Terminated_block_is_found_through_its_end_line_only()
    {
        Assert.Equal([Key], Found.By(Detector, $"config:\n{Key}\nport: 5432"));
    }

    [Theory]
    [InlineData("PRIVATE KEY")]
    [InlineData("ENCRYPTED PRIVATE KEY")]
    [InlineData("EC PRIVATE KEY")]
    [InlineData("OPENSSH PRIVATE KEY")]
    [InlineData("PGP PRIVATE KEY BLOCK")]
    public void Every_private_key_label_is_found(string label)
    {
        var key = $"-----BEGIN {label}-----\r\nb3BlbnNzaC1rZXktdjEAAAAA\r\n-----END {label}-----";
        Assert.Equal([key], Found.By(Detector, key));
    }

    [Fact]
    public void Unterminated_block_runs_to_the_end_of_the_value()
    {
        const string truncated = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC";
        Assert.Equal([truncated], Found.By(Detector, $"key: {truncated}"));
    }

    [Fact]
    public void End_line_of_another_kind_does_not_close_the_key()
    {
        const string value = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END CERTIFICATE-----\nMore";
        Assert.Equal([value], Found.By(Detector, value));
    }

    [Fact]
    public void Two_keys_are_found_separately()
    {
        Assert.Equal([Key, Key], Found.By(Detector, $"{Key}\n\n{Key}"));
    }

    [Theory]
    [InlineData("-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkq\n-----END PUBLIC KEY-----")]
    [InlineData("-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+g\n-----END CERTIFICATE-----")]
    [InlineData("-----BEGIN private key-----")]
    public void Public_keys_certificates_and_lower_case_labels_are_not_found(string value)
    {
        Assert.Empty(Found.By(Detector, value));
    }
}
