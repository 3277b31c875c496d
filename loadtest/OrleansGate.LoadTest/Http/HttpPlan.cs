namespace OrleansGate.LoadTest.Http;

/// <summary>
/// The HTTP side-by-side run (<c>./loadtest/run.sh</c> step 5d): each mix of <see cref="MixFile"/> against every target,
/// alternately; the first target is the baseline the others are compared with (nginx <c>proxy_pass</c>).
/// </summary>
public sealed record HttpPlan
{
    public required IReadOnlyList<HttpTargetSpec> Targets { get; init; }

    /// <summary>The request mixes the k6 scripts use too (<c>loadtest/k6/http-mix.json</c>).</summary>
    public required string MixFile { get; init; }

    public required IReadOnlyList<string> Mixes { get; init; }

    /// <summary>Values of the mix's placeholders (<c>{ns}</c>, <c>{pod}</c>, …); <c>{name}</c> is made per request.</summary>
    public IReadOnlyDictionary<string, string> Values { get; init; } = new Dictionary<string, string>();

    public int Clients { get; init; } = 64;

    public int DurationSeconds { get; init; } = 8;

    public int Repeats { get; init; } = 3;

    public int WarmupSeconds { get; init; } = 3;

    /// <summary>Where the Markdown section is written.</summary>
    public required string Output { get; init; }

    public IReadOnlyList<string> Notes { get; init; } = [];
}

/// <summary>One HTTP target: requests go to <see cref="BaseUrl"/> + the mix's path.</summary>
public sealed record HttpTargetSpec
{
    public required string Name { get; init; }

    public required string BaseUrl { get; init; }

    /// <summary>The proxy process whose CPU is reported; 0 for none.</summary>
    public int Pid { get; init; }

    /// <summary>Further processes counted with <see cref="Pid"/> (nginx's workers next to its master).</summary>
    public IReadOnlyList<int> WorkerPids { get; init; } = [];

    /// <summary>Set for the gateway: each client sends its own agent's token (client credentials from this endpoint).</summary>
    public string? TokenUrl { get; init; }

    public IReadOnlyList<ClientCredential> TokenClients { get; init; } = [];
}
