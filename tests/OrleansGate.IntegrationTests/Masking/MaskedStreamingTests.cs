using System.Data;
using System.Globalization;
using Npgsql;
using OrleansGate.Host.Hosting;
using OrleansGate.IntegrationTests.Fixtures;

namespace OrleansGate.IntegrationTests.Masking;

/// <summary>
/// Masking streams: a 1 GiB result with a masked column passes through a node running as its own process, rewritten one
/// DataRow at a time, and the node's peak resident memory grows by less than 64 MiB (the bar).
/// </summary>
[Collection(MaskingCollection.Name)]
public sealed class MaskedStreamingTests(MaskingFixture fixture)
{
    private const long GiB = 1L << 30;
    private const int ValueLength = 4096;

    [Fact]
    public async Task A_one_gibibyte_result_with_a_masked_column_streams_through_with_flat_memory()
    {
        var cluster = GatewaySettings.OwnCluster("masking-stream");
        using var node = await NodeProcess.StartAsync(fixture.Node.Settings.OtherNode("stream-node", cluster), GatewayRole.All);
        var token = await fixture.Node.GetTokenAsync();
        await using var connection = new NpgsqlConnection(node.Settings.ConnectionString(token) + ";Pooling=false;Command Timeout=600");
        await connection.OpenAsync();

        // Warm: the catalog is read and the code paths are jitted before the baseline.
        await using (var warm = await new NpgsqlCommand("SELECT id, email FROM customers", connection).ExecuteReaderAsync())
        {
            while (await warm.ReadAsync())
            {
                Assert.Equal("[masked]", warm.GetString(1));
            }
        }

        var baseline = Status(node.ProcessId, "VmRSS");
        await File.WriteAllTextAsync($"/proc/{node.ProcessId}/clear_refs", "5"); // resets the peak (VmHWM) to the current size

        var rowsWanted = GiB / ValueLength;
        var perCustomer = rowsWanted / MaskingFixture.Customers.Count;
        await using var command = new NpgsqlCommand(
            $"SELECT g, email, repeat('x', {ValueLength}) FROM customers, generate_series(1, {perCustomer}) g", connection);
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess);
        long rows = 0, bytes = 0;
        var buffer = new byte[ValueLength];
        while (await reader.ReadAsync())
        {
            reader.GetInt32(0);
            Assert.Equal("[masked]", reader.GetString(1));
            bytes += reader.GetBytes(2, 0, buffer, 0, buffer.Length);
            rows++;
        }

        var peak = Status(node.ProcessId, "VmHWM");
        Assert.Equal(perCustomer * MaskingFixture.Customers.Count, rows);
        Assert.True(bytes >= GiB - (ValueLength * MaskingFixture.Customers.Count), $"only {bytes} bytes streamed");
        var growth = peak - baseline;
        Assert.True(growth < 64L << 20,
            $"the node's peak RSS grew by {growth >> 20} MiB while {bytes >> 20} MiB streamed (baseline {baseline >> 20} MiB, peak {peak >> 20} MiB)");
    }

    /// <summary>A size from /proc/PID/status, in bytes.</summary>
    private static long Status(int pid, string field)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                var kb = line[(field.Length + 1)..].Trim().Split(' ')[0];
                return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException($"{field} not in /proc/{pid}/status");
    }
}
