using System.Text;

namespace OrleansGate.Postgres.Protocol.Tests;

public sealed class ScramSha256ClientTests
{
    // RFC 7677 section 3: user "user", password "pencil".
    private const string ClientNonce = "rOprNGfwEbeRWgbNEkqO";
    private const string ServerFirst = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
    private const string ClientFinal = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
    private const string ServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

    [Fact]
    public void RFC_7677_vector_yields_the_expected_messages_and_verifies_the_server()
    {
        var client = new ScramSha256Client("pencil", ClientNonce, user: "user");

        Assert.Equal("n,,n=user,r=rOprNGfwEbeRWgbNEkqO", Text(client.CreateClientFirstMessage()));
        Assert.Equal(ClientFinal, Text(client.CreateClientFinalMessage(Bytes(ServerFirst))));
        client.VerifyServerFinal(Bytes(ServerFinal));
    }

    [Fact]
    public void Tampered_server_signature_is_rejected_with_28000()
    {
        var client = Started();
        client.CreateClientFinalMessage(Bytes(ServerFirst));

        var exception = Assert.Throws<PgProtocolException>(() => client.VerifyServerFinal(Bytes("v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")));

        Assert.Equal("28000", exception.SqlState);
    }

    [Fact]
    public void Server_signature_from_a_different_password_is_rejected_with_28000()
    {
        var client = new ScramSha256Client("pencil2", ClientNonce, user: "user");
        client.CreateClientFirstMessage();
        client.CreateClientFinalMessage(Bytes(ServerFirst));

        var exception = Assert.Throws<PgProtocolException>(() => client.VerifyServerFinal(Bytes(ServerFinal)));

        Assert.Equal("28000", exception.SqlState);
    }

    [Fact]
    public void Server_error_is_rejected_with_28000_naming_only_a_known_error()
    {
        var client = Started();
        client.CreateClientFinalMessage(Bytes(ServerFirst));

        var exception = Assert.Throws<PgProtocolException>(() => client.VerifyServerFinal(Bytes("e=invalid-proof")));

        Assert.Equal("28000", exception.SqlState);
        Assert.Contains("invalid-proof", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Server_final_that_is_not_base64_is_rejected_with_08P01()
    {
        var client = Started();
        client.CreateClientFinalMessage(Bytes(ServerFirst));

        Assert.Equal("08P01", Assert.Throws<PgProtocolException>(() => client.VerifyServerFinal(Bytes("v=***"))).SqlState);
    }

    [Fact]
    public void Default_client_first_has_an_empty_user_and_a_random_nonce()
    {
        var first = Text(new ScramSha256Client("pw").CreateClientFirstMessage());
        var second = Text(new ScramSha256Client("pw").CreateClientFirstMessage());

        Assert.StartsWith("n,,n=,r=", first, StringComparison.Ordinal);
        Assert.Equal(8 + 24, first.Length);
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void Fixed_nonce_for_tests_appears_in_client_first()
    {
        Assert.Equal("n,,n=,r=abc", Text(new ScramSha256Client("pw", "abc").CreateClientFirstMessage()));
    }

    [Theory]
    [InlineData("r=someoneelse%hvYDpWUa2RaTCAfuxFIlj,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")]
    [InlineData("r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")]
    [InlineData("r=rOprNGfwEbeRWgbNEkqO%hv,s=not base64!,i=4096")]
    [InlineData("r=rOprNGfwEbeRWgbNEkqO%hv,s=,i=4096")]
    [InlineData("r=rOprNGfwEbeRWgbNEkqO%hv,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=0")]
    [InlineData("r=rOprNGfwEbeRWgbNEkqO%hv,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=-1")]
    [InlineData("r=rOprNGfwEbeRWgbNEkqO%hv,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=99999999999")]
    [InlineData("r=rOprNGfwEbeRWgbNEkqO%hv,s=W22ZaJ0SNY7soEsUEjb6gQ==")]
    [InlineData("s=W22ZaJ0SNY7soEsUEjb6gQ==,r=rOprNGfwEbeRWgbNEkqO%hv,i=4096")]
    [InlineData("m=ext,r=rOprNGfwEbeRWgbNEkqO%hv,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")]
    public void Malformed_server_first_is_rejected_with_08P01(string serverFirst)
    {
        var client = Started();

        var exception = Assert.Throws<PgProtocolException>(() => client.CreateClientFinalMessage(Bytes(serverFirst)));

        Assert.Equal("08P01", exception.SqlState);
    }

    [Fact]
    public void Iteration_count_of_one_is_accepted()
    {
        var client = Started();

        var final = Text(client.CreateClientFinalMessage(Bytes("r=rOprNGfwEbeRWgbNEkqO%hv,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1")));

        Assert.StartsWith("c=biws,r=rOprNGfwEbeRWgbNEkqO%hv,p=", final, StringComparison.Ordinal);
    }

    [Fact]
    public void Steps_out_of_order_are_refused()
    {
        var client = new ScramSha256Client("pencil", ClientNonce);

        Assert.Throws<InvalidOperationException>(() => client.CreateClientFinalMessage(Bytes(ServerFirst)));
        Assert.Throws<InvalidOperationException>(() => client.VerifyServerFinal(Bytes(ServerFinal)));
    }

    private static ScramSha256Client Started()
    {
        var client = new ScramSha256Client("pencil", ClientNonce, user: "user");
        client.CreateClientFirstMessage();
        return client;
    }

    private static byte[] Bytes(string value) => Encoding.UTF8.GetBytes(value);

    private static string Text(byte[] value) => Encoding.UTF8.GetString(value);
}
