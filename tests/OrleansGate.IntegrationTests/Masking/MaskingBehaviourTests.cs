using System.Buffers.Binary;
using Npgsql;
using OrleansGate.IntegrationTests.Policy;
using OrleansGate.Postgres.Protocol;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.IntegrationTests.Infrastructure;

namespace OrleansGate.IntegrationTests.Masking;

/// <summary>Detectors, the audit of what was masked, portals suspended with a row limit, and the catalog after DDL.</summary>
[Collection(MaskingCollection.Name)]
public sealed class MaskingBehaviourTests(MaskingFixture fixture)
{
    [Fact]
    public async Task Detectors_mask_secrets_inside_free_text_in_both_formats_and_leave_the_rest()
    {
        await using var connection = await fixture.OpenAsync(GatewaySettings.OtherClientId);
        var rows = new List<string>();
        await using (var reader = await new NpgsqlCommand("SELECT body FROM notes ORDER BY id", connection).ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                rows.Add(reader.GetString(0));
            }
        }

        Assert.Equal(["call [email] about card [card]", "deploy key [aws_access_key] rotated", "nothing sensitive here"], rows);

        var psql = await fixture.PsqlAsync(["SELECT body FROM notes ORDER BY id", "SELECT email, card FROM customers ORDER BY id LIMIT 1"], GatewaySettings.OtherClientId);
        Assert.True(psql.ExitCode == 0, psql.ToString());
        Assert.Equal(["call [email] about card [card]", "deploy key [aws_access_key] rotated", "nothing sensitive here", "[email]|[card]"],
            psql.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task The_statement_s_audit_record_counts_the_values_each_mask_replaced_and_holds_no_value()
    {
        var marker = "audit-" + Guid.NewGuid().ToString("N")[..8];
        await using (var connection = await fixture.OpenAsync())
        {
            await using var reader = await new NpgsqlCommand($"SELECT id, email, upper(card) AS \"{marker}\" FROM customers", connection).ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
            }
        }

        string[]? masked = null;
        await Poll.UntilAsync(async () =>
        {
            await using var state = new NpgsqlConnection(fixture.StateConnectionString);
            await state.OpenAsync();
            await using var command = new NpgsqlCommand(
                "SELECT masked_columns::text FROM orleansgate_audit WHERE strpos(coalesce(statement_normalized, ''), $1) > 0 AND masked_columns::text <> '[]' ORDER BY seq DESC LIMIT 1", state)
            {
                Parameters = { new() { Value = marker } },
            };
            var text = (string?)await command.ExecuteScalarAsync();
            masked = text is null ? null : System.Text.Json.JsonSerializer.Deserialize<string[]>(text);
            return masked is not null;
        }, "the masked statement's record with its masked columns");

        Assert.Equal(["derived values (pii, redact): 4", "public.customers.email (pii, redact): 4"], masked!.Order(StringComparer.Ordinal));
        await using var audit = new NpgsqlConnection(fixture.StateConnectionString);
        await audit.OpenAsync();
        var all = (string)(await new NpgsqlCommand("SELECT string_agg(a::text, '\n') FROM orleansgate_audit a", audit).ExecuteScalarAsync())!;
        ExfiltrationCorpusTests.AssertNoSecret("the audit table", all);
    }

    [Fact]
    public async Task A_portal_suspended_with_a_row_limit_is_masked_on_every_execute_in_binary_format()
    {
        await using var session = await RawSession.OpenAsync(fixture.Node);
        var answers = await session.ExtendedAsync(w =>
        {
            FrontendWriter.Parse(w, "", "SELECT id, email FROM customers ORDER BY id");
            WireMessages.BindBinaryResults(w, "p", "");
            WireMessages.Execute(w, "p", 1);
            WireMessages.Execute(w, "p", 1);
            WireMessages.Execute(w, "p", 0);
            WireMessages.Sync(w);
        });

        Assert.Null(RawSession.Error(answers));
        Assert.Equal("12DsDsDDCZ", new string([.. answers.Select(a => a.Code)]));
        var ids = new List<int>();
        foreach (var (_, payload) in answers.Where(a => a.Code == 'D'))
        {
            // Int16 count; Int32 length + int4 id (binary); Int32 length + the email's replacement.
            Assert.Equal(2, BinaryPrimitives.ReadInt16BigEndian(payload));
            Assert.Equal(4, BinaryPrimitives.ReadInt32BigEndian(payload.AsSpan(2)));
            ids.Add(BinaryPrimitives.ReadInt32BigEndian(payload.AsSpan(6)));
            var length = BinaryPrimitives.ReadInt32BigEndian(payload.AsSpan(10));
            Assert.Equal("[masked]", System.Text.Encoding.UTF8.GetString(payload, 14, length));
            Assert.Equal(14 + length, payload.Length);
        }

        Assert.Equal([1, 2, 3, 4], ids);
    }

    [Fact]
    public async Task A_view_over_a_masked_column_is_refused_and_one_over_clear_columns_is_read_after_the_catalog_is_read_again()
    {
        var view = "v_" + Guid.NewGuid().ToString("N")[..8];
        var refused = await fixture.PsqlAsync([$"CREATE VIEW {view} AS SELECT id, email AS e FROM customers"]);
        Assert.True(refused.ExitCode != 0, refused.ToString());
        Assert.Contains("denied by rule \"mask:pii\"", refused.StandardError, StringComparison.Ordinal);

        var psql = await fixture.PsqlAsync([
            $"CREATE VIEW {view} AS SELECT id, name FROM customers",
            $"SELECT id, name FROM {view} ORDER BY id",
            $"SELECT c.email, v.name FROM {view} v JOIN customers c ON c.id = v.id ORDER BY v.id",
            $"DROP VIEW {view}",
        ]);
        Assert.True(psql.ExitCode == 0, psql.ToString());
        Assert.Equal(
            [.. MaskingFixture.Customers.Select(c => $"{c.Id}|{c.Name}"), .. MaskingFixture.Customers.Select(c => $"[masked]|{c.Name}")],
            psql.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task A_client_s_describe_of_one_portal_before_the_execute_of_another_is_relayed_once_and_both_are_masked()
    {
        await using var session = await RawSession.OpenAsync(fixture.Node);
        var answers = await session.ExtendedAsync(w =>
        {
            FrontendWriter.Parse(w, "s1", "SELECT email FROM customers WHERE id = 1");
            FrontendWriter.Parse(w, "s2", "SELECT id, upper(card) FROM customers WHERE id = 2");
            WireMessages.Bind(w, "p1", "s1");
            WireMessages.Bind(w, "p2", "s2");
            FrontendWriter.Describe(w, (byte)'P', "p1");
            WireMessages.Execute(w, "p2");
            FrontendWriter.Describe(w, (byte)'P', "p1");
            WireMessages.Execute(w, "p1");
            WireMessages.Sync(w);
        });

        Assert.Null(RawSession.Error(answers));
        Assert.Equal("1122TDCTDCZ", new string([.. answers.Select(a => a.Code)]));
        var values = answers.Where(a => a.Code == 'D').Select(a => System.Text.Encoding.UTF8.GetString(a.Payload)).ToList();
        Assert.Contains("[masked]", values[0], StringComparison.Ordinal);
        Assert.Contains("[masked]", values[1], StringComparison.Ordinal);
        ExfiltrationCorpusTests.AssertNoSecret("describe of another portal", string.Join('\n', values));
    }
}
