namespace OrleansGate.Policy.Masking;

/// <summary>
/// The outputs of a query as the mask analysis sees them, in order: single columns (with the name they are known by,
/// null when it cannot be told) and <c>*</c> expansions of FROM items, whose number of columns is unknown here.
/// </summary>
internal sealed class QueryShape
{
    private readonly List<Output> _outputs;

    public QueryShape(List<Output> outputs) => _outputs = outputs;

    public static QueryShape Empty => new([]);

    /// <summary>A source whose outputs are not known one by one; each may carry the taint.</summary>
    public static QueryShape Opaque(Taint? taint) => new([new Output(null, null, FromItem.Opaque(null, taint))]);

    /// <summary>The taint of each output by position, or null when a <c>*</c> hides the positions.</summary>
    public IReadOnlyList<Taint?>? Positional()
    {
        var taints = new Taint?[_outputs.Count];
        for (var i = 0; i < taints.Length; i++)
        {
            if (_outputs[i].Expanded is not null)
            {
                return null;
            }

            taints[i] = _outputs[i].Taint;
        }

        return taints;
    }

    /// <summary>Output names by position (null where unknown), or null when a <c>*</c> hides the positions.</summary>
    public IReadOnlyList<string?>? Names() =>
        _outputs.Any(static o => o.Expanded is not null) ? null : _outputs.ConvertAll(static o => o.Name);

    /// <summary>The taint of the output(s) a name may refer to; an output whose name is unknown may be any.</summary>
    public Taint? Column(string name)
    {
        Taint? union = null;
        foreach (var output in _outputs)
        {
            if (output.Expanded is { } item)
            {
                union = Taint.Union(union, item.Column(name));
            }
            else if (output.Name is null || output.Name == name)
            {
                union = Taint.Union(union, output.Taint);
            }
        }

        return union;
    }

    /// <summary>The taint of the output at a position (ORDER BY 2); every output's when positions are unknown.</summary>
    public Taint? At(int position)
    {
        var taints = Positional();
        return taints is null ? All() : position >= 0 && position < taints.Count ? taints[position] : null;
    }

    /// <summary>Any output's taint, counting base relations expanded by <c>*</c>.</summary>
    public Taint? All()
    {
        Taint? union = null;
        foreach (var output in _outputs)
        {
            union = Taint.Union(union, output.Expanded is { } item ? item.WholeRow() : output.Taint);
        }

        return union;
    }

    /// <summary>
    /// The taint of outputs that the server will not tie to a table column: derived single outputs and <c>*</c>
    /// over anything but a base relation.
    /// </summary>
    public Taint? Untied()
    {
        Taint? union = null;
        foreach (var output in _outputs)
        {
            union = Taint.Union(union, output.Expanded is { } item ? item.UntiedTaint()
                : output.Taint is { Derived: true } derived ? derived : null);
        }

        return union;
    }

    /// <summary>A column alias list: renames outputs by position when known; otherwise every name may carry any taint.</summary>
    public QueryShape Rename(IReadOnlyList<string> names)
    {
        if (names.Count == 0)
        {
            return this;
        }

        if (Positional() is null)
        {
            return Opaque(All());
        }

        var renamed = new List<Output>(_outputs.Count);
        for (var i = 0; i < _outputs.Count; i++)
        {
            renamed.Add(i < names.Count ? _outputs[i] with { Name = names[i] } : _outputs[i]);
        }

        return new QueryShape(renamed);
    }

    /// <summary>One output: a single column (Expanded null) or the <c>*</c> expansion of a FROM item.</summary>
    internal readonly record struct Output(string? Name, Taint? Taint, FromItem? Expanded);
}
