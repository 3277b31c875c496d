using System.Buffers;
using System.Collections.ObjectModel;
using System.Text;
using System.Text.Json;
using OrleansGate.Policy.Classification.Native;

namespace OrleansGate.Policy.Classification;

/// <summary>
/// Classifies SQL text with PostgreSQL's own parser (libpg_query) so that a policy can decide by what
/// a statement does, not by how it starts. Thread-safe; results are cached.
/// </summary>
/// <remarks>
/// <code>
///  text ──► text cache ──hit──► shared StatementClassification
///            │ miss
///            ▼
///  1. refuse NUL and invalid UTF-16 (what the parser sees must be what the server sees)
///  2. pg_query_normalize ──error──► Parsed = false, Kinds = Other (refuse, never guess)
///  3. shape cache, by normalized text ──hit──► the classification of an earlier statement that
///     differed only in literals (never used for literal-sensitive ones, see ParseTreeWalker)
///  4. pg_query_parse; pg_query_fingerprint of the normalized text; walk each statement's JSON
///     tree ──► StatementInfo; the union over all statements is the classification of the text
///  5. LiteralRedactor finishes the normalized text for audit
///  6. both caches keep the result (texts up to MaxCachedStatementLength)
/// </code>
/// The shape cache is what makes literal-laden traffic (simple protocol, psql, pgbench) cheap: every
/// text is new, but its normalized form is not.
/// </remarks>
public sealed class SqlClassifier
{
    private const int StackBufferSize = 1024;

    // JSON nesting, about two levels per expression level: a 2,000-term a+b+… still classifies on a
    // thread-pool thread. Deeper trees are refused, and so is anything the walker's stack check rejects.
    private const int MaxTreeDepth = 4096;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ClassificationCache _byText;
    private readonly ClassificationCache _byShape;
    private readonly int _maxCachedLength;

    public SqlClassifier()
        : this(new SqlClassifierOptions())
    {
    }

    /// <exception cref="DllNotFoundException">libpg_query is not installed; the caller must fail closed.</exception>
    public SqlClassifier(SqlClassifierOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        PgQueryNative.EnsureLoaded();
        _byText = new ClassificationCache(options.CacheCapacity);
        _byShape = new ClassificationCache(options.CacheCapacity);
        _maxCachedLength = options.MaxCachedStatementLength;
    }

    /// <summary>Number of texts currently cached.</summary>
    public int CachedCount => _byText.Count;

    /// <summary>
    /// Classifies a whole statement text (one statement or several separated by semicolons). Never throws
    /// for bad input: what cannot be classified comes back with <see cref="StatementClassification.Parsed"/> false.
    /// </summary>
    public StatementClassification Classify(string sql)
    {
        ArgumentNullException.ThrowIfNull(sql);
        if (_byText.TryGet(sql, out var cached))
        {
            return cached;
        }

        var classification = ClassifyUncached(sql);
        return sql.Length <= _maxCachedLength ? _byText.GetOrAdd(sql, classification) : classification;
    }

    private StatementClassification ClassifyUncached(string sql)
    {
        // The parser reads a C string: text after a NUL would reach the server unclassified.
        var nul = sql.IndexOf('\0', StringComparison.Ordinal);
        if (nul >= 0)
        {
            return StatementClassification.NotParsed("statement contains a NUL character", nul + 1);
        }

        int byteCount;
        try
        {
            byteCount = StrictUtf8.GetByteCount(sql);
        }
        catch (EncoderFallbackException)
        {
            return StatementClassification.NotParsed("statement is not valid Unicode", 0);
        }

        byte[]? rented = null;
        var buffer = byteCount < StackBufferSize
            ? stackalloc byte[StackBufferSize]
            : (rented = ArrayPool<byte>.Shared.Rent(byteCount + 1));
        try
        {
            StrictUtf8.GetBytes(sql, buffer);
            buffer[byteCount] = 0;
            return ClassifyUtf8(buffer[..(byteCount + 1)]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private unsafe StatementClassification ClassifyUtf8(ReadOnlySpan<byte> nulTerminated)
    {
        string? normalized;
        byte[]? tree;
        string? fingerprint;
        bool shareable;
        NativeError error;
        fixed (byte* input = nulTerminated)
        {
            // Normalizing parses too: its error is the parser's error.
            normalized = PgQuery.Normalize(input, out error);
            if (normalized is null)
            {
                return StatementClassification.NotParsed(error.Message, error.Position);
            }

            if (_byShape.TryGet(normalized, out var sameShape))
            {
                return sameShape;
            }

            tree = PgQuery.Parse(input, out error);
            if (tree is null)
            {
                return StatementClassification.NotParsed(error.Message, error.Position);
            }

            // The fingerprint is taken of the normalized text, so that it depends on the shape alone
            // (WHERE id = 5 and WHERE id = $1 agree) and a shape-cache hit carries the right one. Some
            // normalized texts do not parse (SET ROLE $1); those fall back to the text's own fingerprint
            // and stay out of the shape cache.
            fingerprint = PgQuery.Fingerprint(normalized, out _);
            shareable = fingerprint is not null;
            fingerprint ??= PgQuery.Fingerprint(input, out error);
        }

        return fingerprint is null
            ? StatementClassification.NotParsed(error.Message, error.Position)
            : Complete(normalized, tree, fingerprint, shareable);
    }

    private StatementClassification Complete(string normalized, byte[] tree, string fingerprint, bool shareable)
    {
        var redacted = LiteralRedactor.Redact(normalized);
        if (redacted is null)
        {
            return StatementClassification.NotParsed("statement text could not be redacted for audit", 0);
        }

        StatementClassification classification;
        bool literalSensitive;
        try
        {
            using var document = JsonDocument.Parse(tree, new JsonDocumentOptions { MaxDepth = MaxTreeDepth });
            var statements = ClassifyStatements(document.RootElement, out literalSensitive);
            classification = Combine(statements, redacted, fingerprint);
        }
        catch (Exception exception) when (exception is JsonException or InsufficientExecutionStackException)
        {
            return StatementClassification.NotParsed("statement nests too deeply to classify", 0);
        }
        catch (Exception exception) when (exception is InvalidOperationException or KeyNotFoundException or FormatException)
        {
            // A tree shape the walker does not expect: refuse rather than let the exception reach the connection.
            return StatementClassification.NotParsed("statement could not be classified", 0);
        }

        return !shareable || literalSensitive || normalized.Length > _maxCachedLength
            ? classification
            : _byShape.GetOrAdd(normalized, classification);
    }

    private static List<StatementInfo> ClassifyStatements(JsonElement root, out bool literalSensitive)
    {
        literalSensitive = false;
        var statements = new List<StatementInfo>();
        if (!root.TryGetProperty("stmts", out var rawStatements) || rawStatements.ValueKind != JsonValueKind.Array)
        {
            return statements;
        }

        foreach (var raw in rawStatements.EnumerateArray())
        {
            if (raw.TryGetProperty("stmt", out var statement))
            {
                statements.Add(ParseTreeWalker.Classify(statement, out var sensitive));
                literalSensitive |= sensitive;
            }
        }

        return statements;
    }

    private static StatementClassification Combine(List<StatementInfo> statements, string normalized, string fingerprint)
    {
        if (statements.Count == 1)
        {
            var only = statements[0];
            return new StatementClassification
            {
                Parsed = true,
                Statements = statements,
                Kinds = only.Kinds,
                RelationsRead = only.RelationsRead,
                RelationsWritten = only.RelationsWritten,
                RelationsLocked = only.RelationsLocked,
                Functions = only.Functions,
                DangerousFunctionGroups = only.DangerousFunctionGroups,
                HasUnboundedWrite = only.HasUnboundedWrite,
                GuardRefusal = only.GuardRefusal,
                NormalizedSql = normalized,
                Fingerprint = fingerprint,
            };
        }

        var kinds = StatementKind.None;
        var unbounded = false;
        string? guard = null;
        foreach (var statement in statements)
        {
            kinds |= statement.Kinds;
            unbounded |= statement.HasUnboundedWrite;
            guard ??= statement.GuardRefusal;
        }

        return new StatementClassification
        {
            Parsed = true,
            Statements = statements,
            Kinds = kinds,
            RelationsRead = Union(statements, static s => s.RelationsRead),
            RelationsWritten = Union(statements, static s => s.RelationsWritten),
            RelationsLocked = Union(statements, static s => s.RelationsLocked),
            Functions = Union(statements, static s => s.Functions),
            DangerousFunctionGroups = Union(statements, static s => s.DangerousFunctionGroups),
            HasUnboundedWrite = unbounded,
            GuardRefusal = guard,
            NormalizedSql = normalized,
            Fingerprint = fingerprint,
        };
    }

    private static IReadOnlySet<string> Union(List<StatementInfo> statements, Func<StatementInfo, IReadOnlySet<string>> select)
    {
        HashSet<string>? union = null;
        foreach (var statement in statements)
        {
            var set = select(statement);
            if (set.Count > 0)
            {
                union ??= new HashSet<string>(StringComparer.Ordinal);
                union.UnionWith(set);
            }
        }

        return union is null ? ReadOnlySet<string>.Empty : new ReadOnlySet<string>(union);
    }
}
