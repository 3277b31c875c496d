using Npgsql;

namespace OrleansGate.Audit.Signing;

/// <summary>Reads signatures back exactly as stored.</summary>
public static class AuditSignatureReader
{
    public const string Columns = "writer, number, kind, at, writer_seq, digest, key_id, signer, detail, signature";

    public static AuditSignature Read(NpgsqlDataReader r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return new AuditSignature(
            r.GetString(0), r.GetInt64(1), r.GetString(2), new DateTimeOffset(r.GetDateTime(3), TimeSpan.Zero), r.GetInt64(4), r.GetString(5),
            r.GetString(6), r.GetString(7), r.GetString(8), r.GetString(9));
    }

    public static async Task<AuditSignature?> ReadAsync(NpgsqlDataSource dataSource, string writer, long number, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM orleansgate_audit_signature WHERE writer = $1 AND number = $2");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = writer });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = number });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>Every signature (of <paramref name="writer"/>, or of all), ordered by writer and number.</summary>
    public static Task<List<AuditSignature>> ReadAllAsync(NpgsqlDataSource dataSource, string? writer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        return ReadAllAsync(dataSource.CreateCommand, writer, cancellationToken);
    }

    /// <summary>The same on <paramref name="connection"/>, inside whatever transaction (snapshot) it has open.</summary>
    public static Task<List<AuditSignature>> ReadAllAsync(NpgsqlConnection connection, string? writer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return ReadAllAsync(sql => new NpgsqlCommand(sql, connection), writer, cancellationToken);
    }

    private static async Task<List<AuditSignature>> ReadAllAsync(Func<string, NpgsqlCommand> create, string? writer, CancellationToken cancellationToken)
    {
        var sql = $"SELECT {Columns} FROM orleansgate_audit_signature" + (writer is null ? "" : " WHERE writer = $1") + " ORDER BY writer, number";
        await using var command = create(sql);
        if (writer is not null)
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = writer });
        }

        var list = new List<AuditSignature>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(Read(reader));
        }

        return list;
    }
}
