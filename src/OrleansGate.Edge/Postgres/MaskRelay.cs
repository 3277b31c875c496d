using System.Buffers;
using System.Collections.Concurrent;
using OrleansGate.Edge.Masking;
using OrleansGate.Policy.Masking;
using OrleansGate.Policy.Model;
using OrleansGate.Postgres.Protocol;

namespace OrleansGate.Edge.Postgres;

/// <summary>
/// What a session's masks need for every statement under one policy version: the target's catalog bound to the masks,
/// a masker per mask, and the detector groups.
/// </summary>
internal sealed class MaskContext(long policyVersion, TargetMaskCatalog catalog, IReadOnlyDictionary<PolicyMask, ValueMasker> maskers, IReadOnlyList<DetectorGroup> detectors)
{
    public long PolicyVersion { get; } = policyVersion;

    public TargetMaskCatalog Catalog { get; } = catalog;

    public IReadOnlyList<DetectorGroup> Detectors { get; } = detectors;

    /// <summary>What is masked where nothing more precise is known (null when the masks name no column: detectors only).</summary>
    public PolicyMask? Fallback => Catalog.FallbackMask;

    public ValueMasker MaskerOf(PolicyMask mask) => maskers[mask];

    private const int MaxCachedAnalyses = 1024;
    private const int MaxCachedTextLength = 8192;
    private readonly Dictionary<string, MaskAnalysis> _analyses = new(StringComparer.Ordinal);

    /// <summary>
    /// The analysis of a statement text against this catalog: made once per text for the session's client loop (an
    /// application repeats its statements), bounded; the analysis is immutable.
    /// </summary>
    public MaskAnalysis Analyze(string sql)
    {
        if (_analyses.TryGetValue(sql, out var cached))
        {
            return cached;
        }

        var analysis = MaskAnalyzer.Analyze(sql, Catalog.Names);
        if (sql.Length <= MaxCachedTextLength)
        {
            if (_analyses.Count >= MaxCachedAnalyses)
            {
                _analyses.Clear();
            }

            _analyses[sql] = analysis;
        }

        return analysis;
    }
}

/// <summary>
/// The masking of one request (a simple Query or the statement an Execute runs): per statement of its text, in order,
/// what its result carries (null: a cursor or SQL-prepared statement the session did not see declared — every result
/// column the target does not tie to a table column is then masked).
/// </summary>
internal sealed class MaskWork(MaskContext context, IReadOnlyList<StatementMasking?> statements, bool touchesMaskedData)
{
    public MaskContext Context { get; } = context;

    public IReadOnlyList<StatementMasking?> Statements { get; } = statements;

    /// <summary>The target's errors and notices about it are withheld (their text may quote a masked value).</summary>
    public bool TouchesMaskedData { get; } = touchesMaskedData;
}

/// <summary>What the target answers next, for the masks: in the order the messages were sent.</summary>
internal enum MaskExpectKind
{
    /// <summary>A simple Query: its result sets map to its statements in order; ends at ReadyForQuery.</summary>
    Query,

    /// <summary>The client's own Describe: its RowDescription or NoData passes through.</summary>
    ClientDescribe,

    /// <summary>A Describe of the portal the gateway sends before each Execute: its answer is the plan of the rows, and is not relayed.</summary>
    InjectedDescribe,

    /// <summary>The client's Describe of the portal it executes next: its answer is relayed and is the plan of the rows.</summary>
    PlanningDescribe,

    /// <summary>An Execute: ends at CommandComplete, EmptyQueryResponse, PortalSuspended or an error.</summary>
    Execute,

    /// <summary>A Sync: ends at ReadyForQuery.</summary>
    Sync,
}

internal readonly record struct MaskExpect(MaskExpectKind Kind, MaskWork? Work);

/// <summary>
/// Rewrites the target's answers of a session to which a mask applies, as they pass: every DataRow of a result that has
/// a masked column (or a column the detectors read) and every CopyData of a COPY out, one message at a time. A result
/// with nothing to mask pays one RowDescription read. The plan of a result is made from its RowDescription: a column the
/// target ties to a masked table column (OID and attribute number, whatever its alias) is masked, and so is one the
/// statement's analysis says carries a masked value. A row the gateway cannot tie to a description ends the session:
/// values are never passed on unmasked. The client loop adds expectations, the upstream loop alone reads them.
/// </summary>
internal sealed class MaskRelay(Action unknownRelationSeen)
{
    /// <summary>PostgreSQL's first OID for objects made after initdb (FirstNormalObjectId).</summary>
    private const uint FirstNormalObjectId = 16384;

    private readonly ConcurrentQueue<MaskExpect> _expected = new();
    private readonly Lock _cycleLock = new();
    private readonly List<(long Cycle, TaskCompletionSource Done)> _cycleWaiters = [];

    // Upstream loop only.
    private RowMasker? _rows;
    private bool _described;
    private CopyRowMasker? _copy;
    private int _statementIndex;
    private long _cyclesAnswered;

    /// <summary>How many values each column and detector masked since the last completion (upstream loop).</summary>
    public MaskCounts Counts { get; } = new();

    public void Expect(MaskExpectKind kind, MaskWork? work) => _expected.Enqueue(new MaskExpect(kind, work));

    /// <summary>Completes once the target has answered cycle number <paramref name="cycle"/> (0-based, as the session counts them sent).</summary>
    public Task CycleAnsweredAsync(long cycle)
    {
        lock (_cycleLock)
        {
            if (_cyclesAnswered > cycle)
            {
                return Task.CompletedTask;
            }

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _cycleWaiters.Add((cycle, done));
            return done.Task;
        }
    }

    /// <summary>
    /// One answer of the target (not an ErrorResponse or NoticeResponse: <see cref="ErrorArrived"/>, <see cref="WithholdsNotices"/>).
    /// True when it was written to <paramref name="output"/> rewritten, or dropped; false when the relay forwards it as it is.
    /// </summary>
    public bool Relay(in PgMessage message, IBufferWriter<byte> output)
    {
        MaskExpect head;
        switch ((BackendMessageCode)message.Code)
        {
            case BackendMessageCode.RowDescription:
                if (!_expected.TryPeek(out head))
                {
                    throw Unexpected("RowDescription");
                }

                switch (head.Kind)
                {
                    case MaskExpectKind.InjectedDescribe:
                    case MaskExpectKind.PlanningDescribe:
                        _expected.TryDequeue(out _);
                        Describe(message.Payload, head.Work, head.Work?.Statements is [var described, ..] ? described : null);
                        return head.Kind == MaskExpectKind.InjectedDescribe;
                    case MaskExpectKind.ClientDescribe:
                        _expected.TryDequeue(out _);
                        return false;
                    case MaskExpectKind.Query:
                        Describe(message.Payload, head.Work, StatementAt(head.Work, _statementIndex));
                        return false;
                    default:
                        throw Unexpected("RowDescription");
                }

            case BackendMessageCode.NoData:
                if (_expected.TryPeek(out head) && head.Kind is MaskExpectKind.InjectedDescribe or MaskExpectKind.PlanningDescribe or MaskExpectKind.ClientDescribe)
                {
                    _expected.TryDequeue(out _);
                    if (head.Kind != MaskExpectKind.ClientDescribe)
                    {
                        (_rows, _described) = (null, true); // rows without a description would be a protocol violation: none come
                        return head.Kind == MaskExpectKind.InjectedDescribe;
                    }
                }

                return false;

            case BackendMessageCode.DataRow:
                if (!_described)
                {
                    throw new PgProtocolException(PgSqlState.ProtocolViolation,
                        "a result row arrived that the gateway cannot tie to a row description; in a session with masks no row passes unread");
                }

                if (_rows is null)
                {
                    return false;
                }

                _rows.Rewrite(message.Payload, output, Counts);
                return true;

            case BackendMessageCode.CopyOutResponse:
            case BackendMessageCode.CopyBothResponse:
                {
                    if (!_expected.TryPeek(out head) || head.Kind is not (MaskExpectKind.Query or MaskExpectKind.Execute))
                    {
                        throw Unexpected("CopyOutResponse");
                    }

                    var statement = head.Kind == MaskExpectKind.Query ? StatementAt(head.Work, _statementIndex) : head.Work?.Statements is [var s, ..] ? s : null;
                    StartCopy(message.Payload, head.Work, statement);
                    return false;
                }

            case BackendMessageCode.CopyData:
                if (_copy is null)
                {
                    return false;
                }

                _copy.Rewrite(message.Payload, output, Counts);
                return true;

            case BackendMessageCode.CopyDone:
                _copy = null;
                return false;

            case BackendMessageCode.CommandComplete:
            case BackendMessageCode.EmptyQueryResponse:
            case BackendMessageCode.PortalSuspended:
                EndResult();
                if (_expected.TryPeek(out head))
                {
                    if (head.Kind == MaskExpectKind.Query)
                    {
                        _statementIndex++;
                    }
                    else if (head.Kind == MaskExpectKind.Execute)
                    {
                        _expected.TryDequeue(out _);
                    }
                }

                return false;

            case BackendMessageCode.ReadyForQuery:
                EndResult();
                _statementIndex = 0;
                while (_expected.TryDequeue(out head) && head.Kind is not (MaskExpectKind.Query or MaskExpectKind.Sync))
                {
                    // Describes and Executes the target skipped after an error.
                }

                CycleAnswered();
                return false;

            default:
                return false;
        }
    }

    /// <summary>
    /// An ErrorResponse arrived: true when its text must be withheld (the statement reads masked data: the text may quote a
    /// value, as a failed cast does). The target skips the rest of an extended-protocol cycle, and so do the expectations.
    /// </summary>
    public bool ErrorArrived()
    {
        EndResult();
        if (!_expected.TryPeek(out var head))
        {
            return false;
        }

        var withhold = head.Work is { TouchesMaskedData: true };
        while (_expected.TryPeek(out head) && head.Kind is not (MaskExpectKind.Query or MaskExpectKind.Sync))
        {
            _expected.TryDequeue(out _);
        }

        return withhold;
    }

    /// <summary>A NoticeResponse now is about a statement that reads masked data: its text is withheld.</summary>
    public bool WithholdsNotices => _expected.TryPeek(out var head) && head.Work is { TouchesMaskedData: true };

    /// <summary>Writes <paramref name="fields"/> again without the texts that may quote a value (message, detail, hint, context, internal query).</summary>
    public static void WriteWithheld(IBufferWriter<byte> output, bool error, IReadOnlyDictionary<char, string> fields)
    {
        var state = fields.GetValueOrDefault('C', "XX000");
        var severity = fields.GetValueOrDefault('V') ?? fields.GetValueOrDefault('S') ?? (error ? "ERROR" : "NOTICE");
        var message = $"the target's message is withheld: the statement reads masked data (SQLSTATE {state})";
        if (error)
        {
            BackendWriter.ErrorResponse(output, severity, state, message);
        }
        else
        {
            BackendWriter.NoticeResponse(output, severity, state, message);
        }
    }

    private void EndResult()
    {
        _rows = null;
        _described = false;
        _copy = null;
    }

    private void CycleAnswered()
    {
        lock (_cycleLock)
        {
            _cyclesAnswered++;
            for (var i = _cycleWaiters.Count - 1; i >= 0; i--)
            {
                if (_cycleWaiters[i].Cycle < _cyclesAnswered)
                {
                    _cycleWaiters[i].Done.TrySetResult();
                    _cycleWaiters.RemoveAt(i);
                }
            }
        }
    }

    private static StatementMasking? StatementAt(MaskWork? work, int index) =>
        work is null || index >= work.Statements.Count ? null : work.Statements[index];

    private static PgProtocolException Unexpected(string what) =>
        new(PgSqlState.ProtocolViolation, $"the target sent a {what} the gateway did not expect; in a session with masks nothing passes unread");

    /// <summary>The plan of a result, from its RowDescription.</summary>
    private void Describe(in ReadOnlySequence<byte> payload, MaskWork? work, StatementMasking? statement)
    {
        _described = true;
        _rows = null;
        if (work is null)
        {
            return; // no mask applied when it was decided
        }

        var context = work.Context;
        var fields = RowDescriptionFields.Read(payload);
        var plans = new FieldPlan[fields.Length];
        for (var i = 0; i < fields.Length; i++)
        {
            var field = fields[i];
            ValueMasker? masker = null;
            string? label = null;
            if (field.TableOid != 0 && context.Catalog.TryGetColumn(field.TableOid, field.AttNum, out var column))
            {
                masker = context.MaskerOf(column.Mask);
                label = Label(column.Label, column.Mask);
            }
            else if (field.TableOid >= FirstNormalObjectId && !context.Catalog.IsKnownRelation(field.TableOid) && context.Fallback is { } unknown)
            {
                // A relation made after the catalog was read: masked until the catalog is read again. (System catalogs and
                // the information schema, made by initdb, have OIDs below FirstNormalObjectId and are not in the catalog.)
                unknownRelationSeen();
                masker = context.MaskerOf(unknown);
                label = Label("a relation unknown to the catalog", unknown);
            }
            else if (Taint(statement, i, field.TableOid, context) is { } derived)
            {
                masker = context.MaskerOf(derived);
                label = Label("derived values", derived);
            }

            plans[i] = new FieldPlan(field.TypeOid, field.Format, masker, label);
        }

        _rows = RowMasker.Create(plans, context.Detectors);
    }

    /// <summary>The mask result column <paramref name="index"/> carries by the statement's analysis, or null.</summary>
    private static PolicyMask? Taint(StatementMasking? statement, int index, uint tableOid, MaskContext context)
    {
        if (statement is null)
        {
            return tableOid == 0 ? context.Fallback : null; // a cursor or prepared name not seen declared: fail closed
        }

        if (statement.Columns is { } columns)
        {
            if (index >= columns.Count)
            {
                return context.Fallback; // the analysis and the target disagree on the columns: fail closed
            }

            return columns[index] is { } taint && (taint.Derived || tableOid == 0) ? taint.Mask : null;
        }

        return tableOid == 0 ? statement.AnyColumn : null;
    }

    /// <summary>What a masked field is counted under in the audit; the masker adds the method.</summary>
    private static string Label(string what, PolicyMask mask) => $"{what} ({mask.Name})";

    private void StartCopy(in ReadOnlySequence<byte> payload, MaskWork? work, StatementMasking? statement)
    {
        _copy = null;
        if (work is null)
        {
            return;
        }

        var (columnCount, _) = CopyResponse.Read(payload);
        var context = work.Context;
        if (statement?.Copy is not { } copy)
        {
            throw new PgProtocolException(PgSqlState.ProtocolViolation,
                "a COPY the gateway could not analyse sent data; in a session with masks it is not relayed");
        }

        var plans = new FieldPlan[columnCount];
        var columns = copy.Relation is { } relation ? CopyColumns(context.Catalog.ColumnsOf(copy.Schema, relation), copy.ColumnNames, columnCount) : null;
        for (var i = 0; i < columnCount; i++)
        {
            if (columns is not null)
            {
                var column = columns[i];
                plans[i] = column.Mask is { } mask
                    ? new FieldPlan(column.TypeOid, 0, context.MaskerOf(mask), Label($"{copy.Schema ?? "?"}.{copy.Relation}.{column.Name}", mask))
                    : new FieldPlan(column.TypeOid, 0, null, null);
            }
            else
            {
                // COPY (query): the type is not known here, so a masked field is written as NULL. Without a RowDescription
                // nothing ties a field to a table column: a query whose columns cannot be matched has every field masked.
                var mask = copy.Relation is not null ? context.Fallback
                    : copy.Query is { Columns: null, TouchesMaskedData: true } query ? query.AnyColumn ?? context.Fallback
                    : Taint(copy.Query, i, 0, context);
                plans[i] = new FieldPlan(0, 0, mask is null ? null : context.MaskerOf(mask), mask is null ? null : Label("derived values", mask));
            }
        }

        var format = copy.Format switch
        {
            CopyFormat.Csv => CopyFormatKind.Csv,
            CopyFormat.Binary => CopyFormatKind.Binary,
            _ => CopyFormatKind.Text,
        };
        _copy = CopyRowMasker.Create(plans, context.Detectors, format, copy.Header, copy.Delimiter, copy.NullString, copy.Quote, copy.Escape);
    }

    /// <summary>The columns a COPY of a relation writes, in order; null when they cannot be matched (every field is then masked).</summary>
    private static CatalogColumn[]? CopyColumns(IReadOnlyList<CatalogColumn>? all, IReadOnlyList<string>? named, int count)
    {
        if (all is null)
        {
            return null;
        }

        CatalogColumn[] columns;
        if (named is null)
        {
            columns = [.. all];
        }
        else
        {
            columns = new CatalogColumn[named.Count];
            for (var i = 0; i < named.Count; i++)
            {
                var found = false;
                foreach (var column in all)
                {
                    if (string.Equals(column.Name, named[i], StringComparison.Ordinal))
                    {
                        columns[i] = column;
                        found = true;
                        break;
                    }
                }

                if (!found)
                {
                    return null;
                }
            }
        }

        return columns.Length == count ? columns : null;
    }
}

/// <summary>The fields of a RowDescription the masks need.</summary>
internal readonly record struct RowField(uint TableOid, short AttNum, uint TypeOid, short Format)
{
}

internal static class RowDescriptionFields
{
    /// <summary>Reads a RowDescription ('T'): Int16 count, then per field a name, table OID, attribute number, type OID, size, modifier, format.</summary>
    public static RowField[] Read(in ReadOnlySequence<byte> payload)
    {
        var reader = new SequenceReader<byte>(payload);
        if (!reader.TryReadBigEndian(out short count) || count < 0)
        {
            throw new PgProtocolException(PgSqlState.ProtocolViolation, "invalid RowDescription message: field count");
        }

        var fields = new RowField[count];
        for (var i = 0; i < count; i++)
        {
            if (!reader.TryAdvanceTo(0) // the name
                || !reader.TryReadBigEndian(out int table)
                || !reader.TryReadBigEndian(out short attnum)
                || !reader.TryReadBigEndian(out int type)
                || !reader.TryReadBigEndian(out short _)
                || !reader.TryReadBigEndian(out int _)
                || !reader.TryReadBigEndian(out short format))
            {
                throw new PgProtocolException(PgSqlState.ProtocolViolation, "invalid RowDescription message: truncated field");
            }

            fields[i] = new RowField((uint)table, attnum, (uint)type, format);
        }

        if (!reader.End)
        {
            throw new PgProtocolException(PgSqlState.ProtocolViolation, "invalid RowDescription message: bytes after the last field");
        }

        return fields;
    }
}

internal static class CopyResponse
{
    /// <summary>Reads a CopyOutResponse or CopyBothResponse: Int8 overall format, Int16 column count, Int16 formats.</summary>
    public static (int Columns, bool Binary) Read(in ReadOnlySequence<byte> payload)
    {
        var reader = new SequenceReader<byte>(payload);
        if (!reader.TryRead(out var overall) || !reader.TryReadBigEndian(out short count) || count < 0 || reader.Remaining != count * 2L)
        {
            throw new PgProtocolException(PgSqlState.ProtocolViolation, "invalid CopyOutResponse message");
        }

        return (count, overall == 1);
    }
}
