using OrleansGate.Policy.Shell;

namespace OrleansGate.Policy.Tests.Shell;

public sealed class PathGlobTests
{
    [Theory]
    [InlineData("/var/log/*", "/var/log/syslog", true)]
    [InlineData("/var/log/*", "/var/log/apt/history.log", false)]
    [InlineData("/var/log/**", "/var/log/apt/history.log", true)]
    [InlineData("/var/log/**", "/var/log", false)]
    [InlineData("/var/log/*.log", "/var/log/dpkg.log", true)]
    [InlineData("/var/log/?", "/var/log/a", true)]
    [InlineData("/var/log/?", "/var/log//", false)]
    [InlineData("ls", "LS", false)]
    [InlineData("ls", "/bin/ls", false)]
    [InlineData("*", "-f", true)]
    [InlineData("*", "a/b", false)]
    [InlineData("-[lah]", "-l", true)]
    [InlineData("-[!lah]", "-l", false)]
    [InlineData("-[!lah]", "-x", true)]
    [InlineData("[a-c]x", "bx", true)]
    [InlineData("[a-c]x", "dx", false)]
    [InlineData("[]]", "]", true)]
    [InlineData("a[", "a[", false)]
    [InlineData("a\\*", "a*", true)]
    [InlineData("a\\*", "ab", false)]
    public void Globs_match_as_fnmatch_with_stars_that_stay_in_one_segment(string pattern, string text, bool expected) =>
        Assert.Equal(expected, PathGlob.IsMatch(pattern, text));

    [Theory]
    [InlineData("/var/log/*", "/var/log/*", true)]
    [InlineData("/var/log/*", "/var/log/*.log", true)]
    [InlineData("/var/log/?", "/var/log/*", false)]
    [InlineData("/var/log/[a-z]", "/var/log/?", false)]
    [InlineData("-?", "-*", false)]
    [InlineData("/var/log/*", "/var/log/*/x", false)]
    [InlineData("/var/log/**", "/var/log/*/x", true)]
    public void Glob_characters_in_the_text_are_covered_only_by_stars(string pattern, string text, bool expected) =>
        Assert.Equal(expected, PathGlob.IsMatch(pattern, text));

    [Theory]
    [InlineData("/etc/shadow", "/etc/sha", true)]
    [InlineData("/etc/shadow", "/e", true)]
    [InlineData("/etc/shadow", "/var", false)]
    [InlineData("/etc/*", "", true)]
    public void A_prefix_could_match_when_some_continuation_does(string pattern, string prefix, bool expected) =>
        Assert.Equal(expected, PathGlob.CouldMatchPrefix(pattern, prefix));

    [Fact]
    public void Many_stars_do_not_take_exponential_time()
    {
        Assert.False(PathGlob.IsMatch(string.Concat(Enumerable.Repeat("*a", 30)) + "b", new string('a', 5000)));
    }
}
