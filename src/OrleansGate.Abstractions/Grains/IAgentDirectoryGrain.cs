namespace OrleansGate.Grains;

/// <summary>
/// Key "all": which agents have ever logged in, and which agent a token id belongs to, so operators can
/// list agents and revoke a token by its id alone. Touched at login only, never per statement.
/// </summary>
[Alias("OrleansGate.IAgentDirectoryGrain")]
public interface IAgentDirectoryGrain : IGrainWithStringKey
{
    [Alias("Record")]
    Task Record(string agentKey, string? tokenId, DateTimeOffset tokenExpires);

    [Alias("ListAgents")]
    Task<IReadOnlyList<string>> ListAgents();

    [Alias("FindAgentByToken")]
    Task<string?> FindAgentByToken(string tokenId);
}
