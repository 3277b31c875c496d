namespace OrleansGate.Policy.Model;

/// <summary>
/// What policy reads of one request to a target of kind <c>http</c>: its method (upper case) and its path at the target
/// (what the gateway appends to the target's URL), without the query. The gateway refuses a path it cannot read as the
/// upstream will (dot segments, encoded slashes) before asking.
/// </summary>
public sealed record HttpRequestFacts(string Method, string Path);
