namespace OrleansGate.Policy.Masking;

/// <summary>A <c>COPY … TO STDOUT</c>, with what the relay needs to mask its data rows.</summary>
/// <param name="Schema">The relation's schema as written, or null (also null for <c>COPY (query)</c>).</param>
/// <param name="Relation">The relation of <c>COPY relation [(columns)] TO STDOUT</c>; null for <c>COPY (query)</c>.</param>
/// <param name="ColumnNames">The explicit column list; null means all columns.</param>
/// <param name="Query">For <c>COPY (query) TO STDOUT</c>: the query's result taint.</param>
/// <param name="Format">Text, CSV or binary.</param>
/// <param name="Header">Whether the first row is a header (CSV; text from PostgreSQL 15).</param>
/// <param name="Delimiter">Field delimiter (text: tab; CSV: comma).</param>
/// <param name="NullString">How NULL is written (text: <c>\N</c>; CSV: empty).</param>
/// <param name="Quote">CSV quote character.</param>
/// <param name="Escape">CSV escape character (defaults to the quote); backslash in text format.</param>
public sealed record CopyOut(
    string? Schema,
    string? Relation,
    IReadOnlyList<string>? ColumnNames,
    StatementMasking? Query,
    CopyFormat Format,
    bool Header,
    char Delimiter,
    string NullString,
    char Quote,
    char Escape);
