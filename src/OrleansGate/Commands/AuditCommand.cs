using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Npgsql;
using OrleansGate.Audit;
using OrleansGate.Grains.Audit;
using OrleansGate.Audit.Signing;
using OrleansGate.Audit.Verify;
using OrleansGate.Host.Hosting;

namespace OrleansGate.Host.Commands;

/// <summary>
/// <c>audit verify | tail | search</c>: read the audit store directly with the configuration's connection string
/// (OrleansGate:Audit:ConnectionString, else OrleansGate:StateDatabase), so they work with no cluster running.
/// </summary>
public static class AuditCommand
{
    public static async Task<int> RunAsync(Arguments arguments, IConfiguration configuration, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var gateway = configuration.GetSection(GatewayHost.Section);
        var options = gateway.GetSection("Audit").Get<AuditOptions>() ?? new AuditOptions();
        var connectionString = string.IsNullOrWhiteSpace(options.ConnectionString) ? gateway["StateDatabase"] : options.ConnectionString;
        var sub = arguments.TakeCommand();
        if (sub is not ("verify" or "tail" or "search"))
        {
            throw new CommandLineException(sub is null ? "audit needs a subcommand: verify, tail or search" : $"unknown audit subcommand '{sub}'");
        }

        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new CommandLineException("no audit store configured: set OrleansGate:StateDatabase (or OrleansGate:Audit:ConnectionString) with --config");
        }

        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        try
        {
            return sub switch
            {
                "verify" => await VerifyAsync(arguments, options, dataSource, stdout, ct),
                "tail" => await TailAsync(arguments, dataSource, stdout, stderr, ct),
                _ => await SearchAsync(arguments, dataSource, stdout, ct),
            };
        }
        catch (NpgsqlException e)
        {
            await stderr.WriteLineAsync($"audit store unavailable: {e.Message}");
            return 3;
        }
    }

    private static async Task<int> VerifyAsync(Arguments arguments, AuditOptions options, NpgsqlDataSource dataSource, TextWriter stdout, CancellationToken ct)
    {
        var keysPath = arguments.TakeValue("--public-keys") ?? options.TrustedKeysPath;
        var files = arguments.TakeAll("--checkpoint-file");
        var json = arguments.TakeFlag("--json");
        arguments.EnsureEmpty();
        if (files.Count == 0 && !string.IsNullOrWhiteSpace(options.CheckpointFile))
        {
            files = [options.CheckpointFile];
        }

        Dictionary<string, ECDsa> keys;
        try
        {
            // The node's own public key will do when nothing else is given (the private key file is read for its public half).
            keys = !string.IsNullOrWhiteSpace(keysPath) ? AuditKeys.LoadTrusted(keysPath)
                : !string.IsNullOrWhiteSpace(options.SigningKeyPath) ? AuditKeys.LoadTrusted(options.SigningKeyPath)
                : throw new CommandLineException("no public keys to verify with: give --public-keys FILE|DIR (or set OrleansGate:Audit:TrustedKeysPath)");
        }
        catch (InvalidOperationException e)
        {
            throw new CommandLineException(e.Message);
        }

        var report = await new AuditVerifier(dataSource).VerifyAsync(keys, files, ct);
        if (json)
        {
            foreach (var p in report.Problems)
            {
                await stdout.WriteLineAsync(JsonSerializer.Serialize(new Dictionary<string, string>
                {
                    ["seq"] = p.Seq.ToString(CultureInfo.InvariantCulture),
                    ["kind"] = p.Kind.ToString().ToLowerInvariant(),
                    ["problem"] = p.Message,
                }));
            }

            return report.Ok ? 0 : 1;
        }

        await stdout.WriteLineAsync(
            $"{report.Rows} records in {report.Chains} chains ({report.Chains - report.SystemChains} sessions, {report.SystemChains} policy/revocation/login-refusal); " +
            $"{report.Writers.Count} writers; {report.SignedRows} records covered by signatures, {report.PendingRows} not signed yet (at risk)" +
            (files.Count == 0 ? "; no checkpoint file given: signatures were compared with nothing outside the database" : $"; checked against {string.Join(", ", files)}"));
        foreach (var w in report.Writers)
        {
            var state = w.State.ToString().ToLowerInvariant();
            await stdout.WriteLineAsync(w.State == AuditWriterState.Unsigned
                ? $"  writer {w.Writer}: UNSIGNED, {w.Rows} records, none covered"
                : $"  writer {w.Writer} ({w.Node}): {state}{(w.SealedBy is null ? "" : $" by {w.SealedBy}")}, {w.Rows} records, " +
                  $"#1..#{w.SignedThrough} signed ({w.Signatures} signatures, last {w.LastSignedAt:O}, keys {string.Join(",", w.KeyIds)})" +
                  (w.Pending > 0 ? $", {w.Pending} after it not signed yet" : ""));
        }

        foreach (var note in report.Notes)
        {
            await stdout.WriteLineAsync($"  note: {note}");
        }

        if (report.Ok)
        {
            await stdout.WriteLineAsync("ok: every chain, writer and signature verifies");
        }
        else
        {
            var first = report.Problems[0];
            await stdout.WriteLineAsync(first.Seq > 0 ? $"BROKEN: first bad record at seq {first.Seq}: {first.Message}" : $"BROKEN: {first.Message}");
            foreach (var p in report.Problems.Skip(1).Take(50))
            {
                await stdout.WriteLineAsync(p.Seq > 0 ? $"  also at seq {p.Seq}: {p.Message}" : $"  also: {p.Message}");
            }

            if (report.Problems.Count > 51)
            {
                await stdout.WriteLineAsync($"  … {report.Problems.Count - 51} more (--json lists them all)");
            }
        }

        return report.Ok ? 0 : 1;
    }

    /// <summary>Rows <c>tail</c> prints without <c>--follow</c> when no <c>--count</c> is given.</summary>
    public const long DefaultTailCount = 20;

    /// <summary>
    /// <c>tail</c>: the newest <c>--count</c> rows (default 20), oldest first, then exits. <c>tail --follow</c>: the rows
    /// written after it started, as they arrive, until Ctrl-C or until <c>--count</c> rows were printed.
    /// </summary>
    private static async Task<int> TailAsync(Arguments arguments, NpgsqlDataSource dataSource, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var count = ParseLong(arguments.TakeValue("--count"), "--count");
        var follow = arguments.TakeFlag("--follow");
        var json = arguments.TakeFlag("--json");
        arguments.EnsureEmpty();
        if (!follow)
        {
            await using var newest = dataSource.CreateCommand(
                $"SELECT {AuditRowReader.Columns} FROM (SELECT * FROM orleansgate_audit ORDER BY seq DESC LIMIT $1) newest ORDER BY seq");
            newest.Parameters.Add(new NpgsqlParameter<long> { TypedValue = count ?? DefaultTailCount });
            await using var rows = await newest.ExecuteReaderAsync(ct);
            while (await rows.ReadAsync(ct))
            {
                await WriteRowAsync(stdout, AuditRowReader.Read(rows), json);
            }

            return 0;
        }

        long last;
        await using (var start = dataSource.CreateCommand("SELECT coalesce(max(seq), 0) FROM orleansgate_audit"))
        {
            last = (long)(await start.ExecuteScalarAsync(ct))!;
        }

        // On stderr, so stdout stays one record per line; says where following starts.
        await stderr.WriteLineAsync($"following audit records after seq {last} (Ctrl-C ends)");
        await stderr.FlushAsync(ct);

        long shown = 0;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
        try
        {
            // Follows by polling the sequence (a reader needs no privileges beyond SELECT); Ctrl-C or --count ends it.
            do
            {
                await using var command = dataSource.CreateCommand($"SELECT {AuditRowReader.Columns} FROM orleansgate_audit WHERE seq > $1 ORDER BY seq LIMIT 1000");
                command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = last });
                await using var reader = await command.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    var row = AuditRowReader.Read(reader);
                    last = row.Seq;
                    await WriteRowAsync(stdout, row, json);

                    // Flushed per row: a follower is read line by line (a SIEM shipper, a pipe).
                    await stdout.FlushAsync(ct);
                    if (count is { } max && ++shown >= max)
                    {
                        return 0;
                    }
                }
            }
            while (await timer.WaitForNextTickAsync(ct));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }

        return 0;
    }

    private static async Task<int> SearchAsync(Arguments arguments, NpgsqlDataSource dataSource, TextWriter stdout, CancellationToken ct)
    {
        var agent = arguments.TakeValue("--agent");
        var since = arguments.TakeValue("--since");
        var decision = arguments.TakeValue("--decision");
        var session = arguments.TakeValue("--session");
        var kind = arguments.TakeValue("--kind");
        var limit = ParseLong(arguments.TakeValue("--limit"), "--limit") ?? 1000;
        var json = arguments.TakeFlag("--json");
        arguments.EnsureEmpty();

        var where = new List<string>();
        await using var command = dataSource.CreateCommand();
        void Add<T>(string condition, T value)
        {
            command.Parameters.Add(new NpgsqlParameter<T> { TypedValue = value });
            where.Add(condition.Replace("@", "$" + command.Parameters.Count.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));
        }

        if (agent is not null)
        {
            // issuer|subject, or a subject alone.
            var bar = agent.LastIndexOf('|');
            if (bar > 0)
            {
                Add("issuer = @", agent[..bar]);
                Add("subject = @", agent[(bar + 1)..]);
            }
            else
            {
                Add("subject = @", agent);
            }
        }

        if (since is not null)
        {
            Add("at >= @", ParseSince(since).UtcDateTime);
        }

        if (decision is not null)
        {
            Add("lower(decision) = lower(@)", decision);
        }

        if (session is not null)
        {
            Add("session_id = @", session);
        }

        if (kind is not null)
        {
            Add("lower(kind) = lower(@)", kind);
        }

        command.CommandText = $"SELECT {AuditRowReader.Columns} FROM orleansgate_audit" +
            (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "") + $" ORDER BY seq LIMIT {limit}";
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            await WriteRowAsync(stdout, AuditRowReader.Read(reader), json);
        }

        return 0;
    }

    private static Task WriteRowAsync(TextWriter stdout, AuditRow row, bool json) =>
        stdout.WriteLineAsync(json
            ? JsonSerializer.Serialize(row, AuditJson.Default.AuditRow)
            : $"{row.Seq,8} {row.At:yyyy-MM-ddTHH:mm:ss.fffZ} {row.Kind,-10} {row.Subject} session {row.SessionId}#{row.SessionSeq} " +
              $"{row.Decision ?? "-"} {row.Rule ?? ""} {row.Statement ?? row.Reason ?? ""}");

    /// <summary>An ISO 8601 time, or a duration back from now: 30s, 15m, 2h, 7d.</summary>
    private static DateTimeOffset ParseSince(string text)
    {
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            return at;
        }

        if (text.Length > 1 && long.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            var span = text[^1] switch
            {
                's' => TimeSpan.FromSeconds(n),
                'm' => TimeSpan.FromMinutes(n),
                'h' => TimeSpan.FromHours(n),
                'd' => TimeSpan.FromDays(n),
                _ => (TimeSpan?)null,
            };
            if (span is { } s)
            {
                return DateTimeOffset.UtcNow - s;
            }
        }

        throw new CommandLineException($"--since '{text}' is neither a time (2026-01-31T12:00:00Z) nor a duration (30s, 15m, 2h, 7d)");
    }

    private static long? ParseLong(string? text, string option) =>
        text is null ? null
        : long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0 ? value
        : throw new CommandLineException($"{option} needs a positive number");
}
