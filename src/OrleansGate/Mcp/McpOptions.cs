namespace OrleansGate.Host.Mcp;

/// <summary>
/// The MCP endpoint on the agent HTTP listener (section <c>OrleansGate:Mcp</c>): <c>/mcp</c>, streamable HTTP, with
/// its protected resource metadata. Every tool is a client of this node's own native listeners on loopback.
/// </summary>
public sealed class McpOptions
{
    /// <summary>Serve <c>/mcp</c> on the agent listener (on by default wherever that listener is).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// The URL agents reach the endpoint at (e.g. behind a load balancer), for the metadata's <c>resource</c> and the
    /// <c>WWW-Authenticate</c> pointer; unset: taken from each request's scheme and Host.
    /// </summary>
    public Uri? PublicUrl { get; set; }

    /// <summary>Rows <c>postgres_query</c> returns when the call names no <c>max_rows</c>.</summary>
    public int DefaultMaxRows { get; set; } = 100;

    /// <summary>The largest <c>max_rows</c> a call may ask for.</summary>
    public int MaxRows { get; set; } = 1000;

    /// <summary>Response bodies (HTTP tools) and command output (<c>ssh_exec</c>) kept at most; the rest is cut and said so.</summary>
    public int MaxResponseBytes { get; set; } = 1024 * 1024;

    /// <summary>How often a tool that waits (an approval, a long request) tells the client it still waits.</summary>
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest a tool call may take, approval waits included (the approval's own timeout usually ends it first).</summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Why these settings cannot be used, or null.</summary>
    public string? Problem() =>
        DefaultMaxRows < 1 || DefaultMaxRows > MaxRows ? $"OrleansGate:Mcp:DefaultMaxRows {DefaultMaxRows} is outside 1-{MaxRows} (MaxRows)"
        : MaxRows is < 1 or > 100_000 ? $"OrleansGate:Mcp:MaxRows {MaxRows} is outside 1-100000"
        : MaxResponseBytes is < 1024 or > 64 * 1024 * 1024 ? $"OrleansGate:Mcp:MaxResponseBytes {MaxResponseBytes} is outside 1 KiB-64 MiB"
        : ProgressInterval < TimeSpan.FromMilliseconds(100) ? "OrleansGate:Mcp:ProgressInterval must be at least 00:00:00.1"
        : CallTimeout < TimeSpan.FromSeconds(1) ? "OrleansGate:Mcp:CallTimeout must be at least 00:00:01"
        : PublicUrl is { IsAbsoluteUri: false } ? "OrleansGate:Mcp:PublicUrl must be an absolute URL"
        : null;
}
