using System.Collections.Frozen;

namespace OrleansGate.Policy.Classification;

/// <summary>
/// The names of PostgreSQL 15's built-in functions (pg_catalog), from an embedded list generated from a real
/// server. A call to any other name, or qualified with another schema, is a <see cref="DangerousFunctionGroups.NonBuiltin"/>
/// call: its body is user code the classifier cannot see.
/// </summary>
/// <remarks>
/// Matched by name, not signature: a user's overload of a built-in name with other argument types (or a schema
/// ahead of pg_catalog in search_path) is not caught, and neither is user code run by views, triggers,
/// operators or casts. Give the target role only the privileges it needs.
/// </remarks>
public static class BuiltinFunctions
{
    private const string ResourceName = "OrleansGate.Policy.pg15-builtin-functions.txt";

    /// <summary>Names of the pg_catalog functions of PostgreSQL 15, exactly as in pg_proc (a few have capitals: RI_FKey_*).</summary>
    public static IReadOnlySet<string> Names { get; } = Load();

    /// <summary>
    /// Whether a call written as <paramref name="parts"/> (as the parser gives them: unquoted names folded to lower
    /// case, quoted ones exact; schema first when qualified) names a built-in. Compared exactly, since
    /// <c>"Lower"</c> is not <c>lower</c> and may be a user's function.
    /// </summary>
    public static bool IsBuiltin(IReadOnlyList<string> parts) => parts.Count switch
    {
        1 => Names.Contains(parts[0]),
        2 => parts[0] == "pg_catalog" && Names.Contains(parts[1]),
        _ => false,
    };

    private static FrozenSet<string> Load()
    {
        using var stream = typeof(BuiltinFunctions).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"embedded resource {ResourceName} is missing");
        using var reader = new StreamReader(stream);
        var names = new HashSet<string>(StringComparer.Ordinal);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0 && line[0] != '#')
            {
                names.Add(line);
            }
        }

        return names.ToFrozenSet(StringComparer.Ordinal);
    }
}
