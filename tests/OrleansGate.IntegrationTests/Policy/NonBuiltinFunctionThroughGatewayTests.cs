using Npgsql;
using OrleansGate.Policy.Classification;

namespace OrleansGate.IntegrationTests.Policy;

/// <summary>
/// A function defined on the target that deletes rows looks like a read; the gateway refuses it as non_builtin.
/// The embedded built-in list is compared with the real server's catalog, so drift (another PostgreSQL major) is caught.
/// </summary>
[Collection(PolicyCollection.Name)]
public sealed class NonBuiltinFunctionThroughGatewayTests(PolicyFixture fixture)
{
    [Fact]
    public async Task Embedded_builtin_function_list_equals_the_servers_pg_catalog_functions()
    {
        await using var connection = new NpgsqlConnection(fixture.Postgres.ConnectionString());
        await connection.OpenAsync();
        var version = (string)(await new NpgsqlCommand("SHOW server_version", connection).ExecuteScalarAsync())!;
        var server = new HashSet<string>(StringComparer.Ordinal);
        await using (var reader = await new NpgsqlCommand("SELECT DISTINCT proname FROM pg_proc WHERE pronamespace = 'pg_catalog'::regnamespace", connection).ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                server.Add(reader.GetString(0));
            }
        }

        var missing = server.Except(BuiltinFunctions.Names).Order(StringComparer.Ordinal).ToList();
        var extra = BuiltinFunctions.Names.Except(server).Order(StringComparer.Ordinal).ToList();
        Assert.True(
            missing.Count == 0 && extra.Count == 0,
            $"server {version}: {missing.Count} built-ins not in the embedded list ({string.Join(", ", missing.Take(20))}); {extra.Count} listed but not on the server ({string.Join(", ", extra.Take(20))}). Regenerate src/OrleansGate.Policy/Classification/pg15-builtin-functions.txt.");
    }

    [Fact]
    public async Task Target_function_that_deletes_is_refused_under_the_read_only_and_the_sample_policy()
    {
        await fixture.Postgres.ExecuteAsync("demo", """
            CREATE TABLE IF NOT EXISTS purge_scratch (id integer PRIMARY KEY);
            INSERT INTO purge_scratch VALUES (1), (2) ON CONFLICT DO NOTHING;
            CREATE OR REPLACE FUNCTION purge_scratch_rows() RETURNS bigint LANGUAGE plpgsql VOLATILE AS
            $$ DECLARE n bigint; BEGIN DELETE FROM purge_scratch; GET DIAGNOSTICS n = ROW_COUNT; RETURN n; END $$;
            GRANT SELECT, DELETE ON purge_scratch TO gateway_demo;
            GRANT EXECUTE ON FUNCTION purge_scratch_rows() TO gateway_demo;
            """);

        await using (var session = await RawSession.OpenAsync(fixture.Node))
        {
            var refused = RawSession.Error(await session.QueryAsync("SELECT purge_scratch_rows()"));
            Assert.NotNull(refused);
            Assert.Equal("42501", refused['C']);
            Assert.Equal("statement denied by rule \"default-deny\": no policy rule allows this statement", refused['M']);
            Assert.Null(RawSession.Error(await session.QueryAsync("SELECT lower('A')")));
        }

        await fixture.ApplyAsync(await File.ReadAllTextAsync(Path.Combine(PolicyFixture.RepoRoot(), "deploy", "local", "policy.yaml")));
        try
        {
            await using var session = await RawSession.OpenAsync(fixture.OtherNode);
            var refused = RawSession.Error(await session.QueryAsync("SELECT * FROM purge_scratch_rows()"));
            Assert.NotNull(refused);
            Assert.Equal("42501", refused['C']);
            Assert.StartsWith("statement denied by rule \"no-user-functions\"", refused['M'], StringComparison.Ordinal);
        }
        finally
        {
            await fixture.ApplyAsync(PolicyFixture.ReadOnlyPolicy);
        }

        await using var direct = new NpgsqlConnection(fixture.Postgres.ConnectionString("demo"));
        await direct.OpenAsync();
        Assert.Equal(2L, await new NpgsqlCommand("SELECT count(*) FROM purge_scratch", direct).ExecuteScalarAsync());
    }
}
