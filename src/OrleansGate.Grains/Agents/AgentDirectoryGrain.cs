using Orleans.Storage;

namespace OrleansGate.Grains.Agents;

/// <summary>The one directory of agents and live token ids (see <see cref="IAgentDirectoryGrain"/>).</summary>
public sealed class AgentDirectoryGrain(
    [PersistentState("agents", GrainStorage.Name)] IPersistentState<AgentDirectoryState> state,
    TimeProvider time) : Grain, IAgentDirectoryGrain
{
    public const string Key = "all";

    public async Task Record(string agentKey, string? tokenId, DateTimeOffset tokenExpires)
    {
        try
        {
            await RecordOnceAsync(agentKey, tokenId, tokenExpires);
        }
        catch (InconsistentStateException)
        {
            // Another activation of this grain (briefly possible while silos join or leave) wrote first:
            // read what it wrote and apply this login on top of it.
            await state.ReadStateAsync();
            await RecordOnceAsync(agentKey, tokenId, tokenExpires);
        }
    }

    private async Task RecordOnceAsync(string agentKey, string? tokenId, DateTimeOffset tokenExpires)
    {
        var changed = state.State.Agents.Add(agentKey);
        if (tokenId is not null && !state.State.Tokens.ContainsKey(tokenId))
        {
            state.State.Tokens[tokenId] = (agentKey, tokenExpires);
            changed = true;
        }

        var now = time.GetUtcNow();
        foreach (var expired in state.State.Tokens.Where(t => t.Value.Expires <= now).Select(t => t.Key).ToList())
        {
            state.State.Tokens.Remove(expired);
            changed = true;
        }

        if (changed)
        {
            await state.WriteStateAsync();
        }
    }

    public Task<IReadOnlyList<string>> ListAgents() => Task.FromResult<IReadOnlyList<string>>([.. state.State.Agents]);

    public Task<string?> FindAgentByToken(string tokenId) =>
        Task.FromResult(state.State.Tokens.TryGetValue(tokenId, out var entry) ? entry.Agent : null);
}
