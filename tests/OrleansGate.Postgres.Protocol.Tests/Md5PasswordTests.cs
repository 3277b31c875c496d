namespace OrleansGate.Postgres.Protocol.Tests;

public sealed class Md5PasswordTests
{
    // Expected values computed independently in bash:
    //   inner=$(printf '%s' 'secretpostgres' | md5sum | cut -d' ' -f1)
    //   { printf '%s' "$inner"; printf '\x01\x02\x03\x04'; } | md5sum
    [Theory]
    [InlineData("postgres", "secret", new byte[] { 0x01, 0x02, 0x03, 0x04 }, "md5bb41a296aab6baccb36ff243a562abff")]
    [InlineData("agent", "pencil", new byte[] { 0xDE, 0xAD, 0xBE, 0xEF }, "md524d8c751416c787e2a1b7404359159bb")]
    public void Hash_matches_the_value_computed_with_md5sum(string user, string password, byte[] salt, string expected)
    {
        Assert.Equal(expected, Md5Password.Compute(user, password, salt));
    }

    [Fact]
    public void Salt_that_is_not_four_bytes_is_refused()
    {
        Assert.Throws<ArgumentException>(() => Md5Password.Compute("u", "p", [1, 2, 3]));
    }
}
