using Npgsql;

namespace OrleansGate.Host.Commands;

/// <summary>The schema owner's connection string, read from its own file; its text is never echoed (it holds a password).</summary>
public static class OwnerConnectionString
{
    /// <summary>
    /// Reads <paramref name="path"/>, refusing a file that other users can read or write: as libpq does with
    /// <c>.pgpass</c>, a password anyone on the host can read is treated as already leaked.
    /// </summary>
    public static string Read(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            throw new CommandLineException($"owner connection string file '{path}' does not exist");
        }

        if (!OperatingSystem.IsWindows())
        {
            const UnixFileMode Shared = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
                | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
            var mode = File.GetUnixFileMode(path);
            if ((mode & Shared) != 0)
            {
                throw new CommandLineException(
                    $"owner connection string file '{path}' is open to other users (mode {Convert.ToString((int)mode, 8).PadLeft(4, '0')}); it holds the schema owner's password: chmod 600 it");
            }
        }

        var text = File.ReadAllText(path).Trim();
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(text);
            if (string.IsNullOrWhiteSpace(builder.Host) || string.IsNullOrWhiteSpace(builder.Database) || string.IsNullOrWhiteSpace(builder.Username))
            {
                throw new CommandLineException($"owner connection string file '{path}' must name Host, Database and Username");
            }
        }
        catch (ArgumentException)
        {
            throw new CommandLineException($"owner connection string file '{path}' does not hold a valid Npgsql connection string");
        }

        return text;
    }
}
