using System.Text.Json;

namespace OrleansGate.Policy.Masking;

/// <summary>COPY: TO STDOUT is described for the relay; TO a file or program is a write.</summary>
internal sealed partial class MaskWalker
{
    private StatementMasking Copy(JsonElement body)
    {
        string? schema = null;
        string? relation = null;
        List<string>? columns = null;
        StatementMasking? query = null;
        Taint? taint = null;
        if (TryGet(body, "query", out var node))
        {
            var shape = Query(node, null);
            query = Result(shape);
            taint = shape.All();
        }
        else if (TryGet(body, "relation", out var rangeVar))
        {
            schema = GetString(rangeVar, "schemaname");
            relation = GetString(rangeVar, "relname") ?? "";
            columns = TryGet(body, "attlist", out var attlist) ? Strings(attlist) : null;
            var item = FromItem.Relation(relation, MaskedColumns(schema, relation), renamed: false);
            taint = columns is null ? item.WholeRow() : columns.Aggregate((Taint?)null, (union, c) => Taint.Union(union, item.Column(c)));
        }

        if (GetBool(body, "is_from"))
        {
            // COPY … FROM writes what the client sends: not a masked value read here.
            return NoRows();
        }

        if (GetString(body, "filename") is not null || GetBool(body, "is_program"))
        {
            CheckWrite(taint, "COPY", GetBool(body, "is_program") ? "a program" : "a file");
            return NoRows();
        }

        var copy = CopyOptions(body, taint, schema, relation, columns, query);
        return new StatementMasking { Copy = copy, TouchesMaskedData = Touches };
    }

    private CopyOut CopyOptions(JsonElement body, Taint? taint, string? schema, string? relation, List<string>? columns, StatementMasking? query)
    {
        var format = CopyFormat.Text;
        var header = false;
        char? delimiter = null;
        string? nullString = null;
        char? quote = null;
        char? escape = null;
        string? unsupported = null;
        if (TryGet(body, "options", out var options) && options.ValueKind == JsonValueKind.Array)
        {
            foreach (var option in options.EnumerateArray())
            {
                if (!TryGetNode(option, out _, out var element) || GetString(element, "defname") is not { } name)
                {
                    continue;
                }

                var text = TryGet(element, "arg", out var arg) && TryGetNode(arg, out var argType, out var value) && argType == "String"
                    ? GetString(value, "sval") : null;
                switch (name)
                {
                    case "format" when text is "text" or "csv" or "binary":
                        format = text == "csv" ? CopyFormat.Csv : text == "binary" ? CopyFormat.Binary : CopyFormat.Text;
                        break;
                    case "header" when DefElemBool(element) is { } on:
                        header = on;
                        break;
                    case "delimiter" when text is { Length: 1 }:
                        delimiter = text[0];
                        break;
                    case "null" when text is not null:
                        nullString = text;
                        break;
                    case "quote" when text is { Length: 1 }:
                        quote = text[0];
                        break;
                    case "escape" when text is { Length: 1 }:
                        escape = text[0];
                        break;
                    default:
                        unsupported ??= name;
                        break;
                }
            }
        }

        if (unsupported is not null && taint is not null)
        {
            Refuse(RefusalKind.Opaque, taint.First, $"COPY option {unsupported} is not supported on masked data");
        }

        var csv = format == CopyFormat.Csv;
        var quoteChar = quote ?? '"';
        return new CopyOut(
            schema,
            relation,
            columns,
            query,
            format,
            header,
            delimiter ?? (csv ? ',' : '\t'),
            nullString ?? (csv ? "" : "\\N"),
            quoteChar,
            escape ?? (csv ? quoteChar : '\\'));
    }
}
