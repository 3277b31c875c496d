using OrleansGate.Policy.Model;

namespace OrleansGate.Policy.Masking;

/// <summary>What one statement of a text returns that may carry masked values.</summary>
public sealed class StatementMasking
{
    internal static readonly StatementMasking NoRows = new() { Columns = [] };

    internal StatementMasking()
    {
    }

    /// <summary>
    /// Per result column in order: the mask whose column's value it may carry, or null when clean. Null list when result
    /// columns cannot be matched by position (a top-level <c>*</c> or <c>t.*</c>, which the server expands), and for
    /// FETCH and EXECUTE, whose result is described by the DECLARE or PREPARE of the same name. Empty for a statement
    /// that returns no rows.
    /// </summary>
    public IReadOnlyList<ColumnTaint?>? Columns { get; internal init; }

    /// <summary>
    /// When <see cref="Columns"/> is null: the mask that result columns not tied to a table column may carry (from a
    /// <c>*</c> over a subquery, CTE, function or set operation that carries masked values); null when none.
    /// </summary>
    public PolicyMask? AnyColumn { get; internal init; }

    /// <summary>
    /// True when the statement names a masked relation, or cannot be shown not to (a function that is not built in,
    /// a FETCH or EXECUTE whose query came in another text).
    /// </summary>
    public bool TouchesMaskedData { get; internal init; }

    /// <summary><c>DECLARE name CURSOR FOR query</c>: this describes the query's result.</summary>
    public string? DeclaresCursor { get; internal init; }

    /// <summary><c>FETCH</c> or <c>MOVE</c> on this cursor.</summary>
    public string? FetchesCursor { get; internal init; }

    /// <summary>SQL-level <c>PREPARE name AS query</c>: this describes the query's result.</summary>
    public string? PreparesName { get; internal init; }

    /// <summary>SQL-level <c>EXECUTE name</c>.</summary>
    public string? ExecutesName { get; internal init; }

    /// <summary><c>COPY … TO STDOUT</c> only.</summary>
    public CopyOut? Copy { get; internal init; }
}
