namespace OrleansGate.Policy.Tests;

/// <summary>
/// UPDATE/DELETE statements the unbounded-write guardrail must catch. Also compiled into the integration tests,
/// which send them through a real session (UnboundedWriteThroughGatewayTests).
/// </summary>
internal static class UnboundedWriteCorpus
{
    /// <summary>
    /// WHERE clauses that select every row (or whose bound hangs on a bound parameter) but look like filters:
    /// sent as simple queries.
    /// </summary>
    public static readonly string[] GuardrailBypasses =
    [
        "DELETE FROM orders WHERE true",
        "DELETE FROM orders WHERE 1 = 1",
        "DELETE FROM orders WHERE 2 > 1",
        "DELETE FROM orders WHERE id = id",
        "DELETE FROM orders WHERE orders.id = id",
        "DELETE FROM orders WHERE id = id + 0",
        "DELETE FROM orders WHERE NOT false",
        "DELETE FROM orders WHERE true OR id = 1",
        "DELETE FROM orders WHERE id = 1 OR 1 = 1",
        "DELETE FROM orders WHERE true IS TRUE",
        "DELETE FROM orders WHERE 1 IN (1)",
        "DELETE FROM orders WHERE 'a' LIKE '%'",
        "DELETE FROM orders WHERE now() > '2000-01-01'",
        "DELETE FROM orders WHERE EXISTS (SELECT 1)",
        "DELETE FROM orders WHERE id IN (SELECT id FROM orders)",
        "UPDATE orders SET status = status WHERE status = status",
        "UPDATE orders SET status = 'x' WHERE (SELECT true)",
        "UPDATE orders o SET status = 'x' WHERE o.id = o.id",
        "UPDATE orders SET status = 'x' WHERE NOT (NOT true)",
        "WITH d AS (DELETE FROM orders WHERE 1 < 2 RETURNING 1) SELECT * FROM d",
    ];

    /// <summary>Parameterised forms: a parameter alone (or compared with a parameter) is unbounded whatever is bound.</summary>
    public static readonly string[] ParameterBypasses =
    [
        "DELETE FROM orders WHERE $1",
        "DELETE FROM orders WHERE $1 = $2",
        "UPDATE orders SET status = 'x' WHERE $1::boolean",
        "DELETE FROM orders WHERE id = 1 OR $1",
    ];

}
