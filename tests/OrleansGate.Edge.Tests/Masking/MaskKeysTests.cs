using System.Security.Cryptography;
using System.Text;
using OrleansGate.Edge.Masking;
using static OrleansGate.Edge.Tests.Masking.TestMasks;

namespace OrleansGate.Edge.Tests.Masking;

public sealed class MaskKeysTests : IDisposable
{
    private readonly string _variable = "OG_TEST_MASK_KEY_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(4));
    private readonly string _file = Path.Combine(Path.GetTempPath(), "og-mask-key-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)));

    [Fact]
    public void Key_env_yields_the_variable_trimmed_as_utf8()
    {
        Environment.SetEnvironmentVariable(_variable, "s3cr\u00e9t\n");

        var key = MaskKeys.Resolve(Mask("h") with { KeyEnvironmentVariable = _variable });

        Assert.Equal(Encoding.UTF8.GetBytes("s3cr\u00e9t"), key);
    }

    [Fact]
    public void Key_file_yields_its_first_line()
    {
        File.WriteAllText(_file, "file-key\nsecond line\n");

        var key = MaskKeys.Resolve(Mask("h") with { KeyFile = _file });

        Assert.Equal("file-key"u8.ToArray(), key);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("  ")]
    public void Unset_or_blank_key_env_names_the_variable_and_the_mask(string? value)
    {
        Environment.SetEnvironmentVariable(_variable, value);

        var e = Assert.Throws<MaskKeyUnavailableException>(() => MaskKeys.Resolve(Mask("hash-emails") with { KeyEnvironmentVariable = _variable }));

        Assert.Contains(_variable, e.Message, StringComparison.Ordinal);
        Assert.Contains("hash-emails", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_key_file_names_the_file()
    {
        var e = Assert.Throws<MaskKeyUnavailableException>(() => MaskKeys.Resolve(Mask("h") with { KeyFile = _file }));

        Assert.Contains(_file, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Key_file_with_an_empty_first_line_is_refused_without_showing_what_follows()
    {
        File.WriteAllText(_file, "\nnot-the-key-but-private\n");

        var e = Assert.Throws<MaskKeyUnavailableException>(() => MaskKeys.Resolve(Mask("h") with { KeyFile = _file }));

        Assert.Contains(_file, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-key", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Mask_without_a_key_reference_is_refused_naming_the_mask()
    {
        var e = Assert.Throws<MaskKeyUnavailableException>(() => MaskKeys.Resolve(Mask("keyless")));

        Assert.Contains("keyless", e.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(_variable, null);
        File.Delete(_file);
    }
}
