namespace OrleansGate.Host.Commands;

/// <summary>A small, strict argument reader: options are taken by name, and anything left over is an error.</summary>
public sealed class Arguments(IEnumerable<string> args)
{
    private readonly List<string> _args = [.. args];

    public IReadOnlyList<string> TakeAll(string option)
    {
        var values = new List<string>();
        while (TakeValue(option) is { } value)
        {
            values.Add(value);
        }

        return values;
    }

    public string? TakeValue(string option)
    {
        for (var i = 0; i < _args.Count; i++)
        {
            if (_args[i] == option)
            {
                if (i + 1 >= _args.Count || _args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    throw new CommandLineException($"option {option} needs a value");
                }

                var value = _args[i + 1];
                _args.RemoveRange(i, 2);
                return value;
            }

            if (_args[i].StartsWith(option + "=", StringComparison.Ordinal))
            {
                var value = _args[i][(option.Length + 1)..];
                _args.RemoveAt(i);
                return value;
            }
        }

        return null;
    }

    /// <summary>The next positional word, if any.</summary>
    public string? TakeCommand()
    {
        var index = _args.FindIndex(a => !a.StartsWith("--", StringComparison.Ordinal));
        if (index < 0)
        {
            return null;
        }

        var command = _args[index];
        _args.RemoveAt(index);
        return command;
    }

    /// <summary>A value-less option (e.g. <c>--json</c>): true when present, and taken.</summary>
    public bool TakeFlag(string flag) => _args.Remove(flag);

    public void EnsureEmpty()
    {
        if (_args.Count > 0)
        {
            throw new CommandLineException($"unexpected argument '{_args[0]}'");
        }
    }
}
