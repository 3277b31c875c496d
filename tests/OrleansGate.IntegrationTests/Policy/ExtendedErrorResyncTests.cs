using OrleansGate.Postgres.Protocol;

namespace OrleansGate.IntegrationTests.Policy;

/// <summary>
/// Where the protocol lets a session resynchronise, it does through the gateway too: a Bind that is well formed but
/// does not fit its statement (the target's own 08P01 ERROR, not a malformed message) skips to Sync, and the session
/// goes on — unlike a malformed message, which the gateway answers with FATAL 08P01.
/// </summary>
[Collection(PolicyCollection.Name)]
public sealed class ExtendedErrorResyncTests(PolicyFixture fixture)
{
    [Fact]
    public async Task Bind_with_fewer_parameters_than_its_statement_gets_an_error_and_the_session_continues_after_sync()
    {
        await using var session = await RawSession.OpenAsync(fixture.Node);

        var answer = await session.ExtendedAsync(w =>
        {
            FrontendWriter.Parse(w, "two", "SELECT $1::int + $2::int");
            WireMessages.Bind(w, "", "two"); // no parameters for a statement that needs two
            WireMessages.Execute(w, "");
            WireMessages.Sync(w);
        });

        Assert.Equal(['1', 'E', 'Z'], answer.Select(m => m.Code));
        var error = RawSession.Error(answer)!;
        Assert.Equal("ERROR", error['S']);
        Assert.Equal("08P01", error['C']);
        Assert.Contains("requires 2", error['M'], StringComparison.Ordinal);

        // The statement stays prepared and the session usable: a fitting Query still runs.
        var after = await session.QueryAsync("SELECT 41 + 1");
        Assert.Null(RawSession.Error(after));
        Assert.Contains(after, m => m.Code == 'D');
    }
}
