using Orleans.Storage;
using OrleansGate.Audit;
using OrleansGate.Grains.Audit;
using OrleansGate.Model;

namespace OrleansGate.Grains.Agents;

/// <summary>One shard of the agent directory (see <see cref="IAgentDirectoryGrain"/> and <see cref="AgentDirectory"/>).</summary>
/// <remarks>
/// The revoked-token set is checked in <see cref="Record"/>, the call every login already makes here, so blocking
/// unused tokens costs no extra round trip; the state is written only when something changed (a new agent or
/// token id, an expiry pruned), as before. Logins spread over <see cref="AgentDirectory.Shards"/> shards by token id,
/// so the write every new token causes lands on one of many grains, placed across the silos.
/// </remarks>
public sealed class AgentDirectoryGrain(
    [PersistentState("agents", GrainStorage.Name)] IPersistentState<AgentDirectoryState> state,
    IAuditSink audit,
    TimeProvider time) : Grain, IAgentDirectoryGrain
{
    public const string Key = AgentDirectory.LegacyKey;

    private AuditChain? _tokenRevocationChain;

    // Resumed: the chain outlives any one activation, so its head is read from the store on the first append. One chain
    // per shard: chains have a single writer.
    private AuditChain TokenRevocationChain => _tokenRevocationChain ??= AuditChain.Resume(audit, ChainId);

    private string ChainId => AuditChainIds.UnusedTokenRevocations(this.GetPrimaryKeyString());

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = this.GetPrimaryKeyString();
        if (AgentDirectory.ShardNumber(key) is not { } shard)
        {
            if (key != AgentDirectory.LegacyKey)
            {
                throw new ArgumentException($"'{key}' is not an agent directory key (shard-00 … shard-{AgentDirectory.Shards - 1}, or {AgentDirectory.LegacyKey})");
            }

            return;
        }

        if (!state.State.LegacyMerged)
        {
            // The unsharded directory of an earlier release: its revocations must hold after the upgrade.
            var export = await GrainFactory.GetGrain<IAgentDirectoryGrain>(AgentDirectory.LegacyKey).ExportShard(shard);
            Merge(export);
            state.State.LegacyMerged = true;
            await state.WriteStateAsync(cancellationToken);
        }
    }

    public Task<AgentDirectoryShardExport> ExportShard(int shard)
    {
        if (this.GetPrimaryKeyString() != AgentDirectory.LegacyKey)
        {
            return Task.FromResult(new AgentDirectoryShardExport([], [], []));
        }

        var used = state.State.TokensByIssuer
            .SelectMany(i => i.Value.Select(t => new UsedTokenEntry(i.Key, t.Key, t.Value.Agent, t.Value.Expires)))
            .Where(t => AgentDirectory.ShardOf(t.TokenId) == shard)
            .ToList();
        var revoked = state.State.RevokedTokensByIssuer
            .SelectMany(i => i.Value.Select(t => new RevokedTokenEntry(i.Key, t.Key, t.Value)))
            .Where(t => AgentDirectory.ShardOf(t.TokenId) == shard)
            .ToList();

        // An agent goes to the shard of its agent key (where a login without a token id would record it) and to the shards of its tokens.
        var agents = state.State.Agents
            .Where(a => AgentDirectory.ShardOf(a) == shard || used.Any(t => t.Agent == a))
            .ToList();
        return Task.FromResult(new AgentDirectoryShardExport(agents, used, revoked));
    }

    private void Merge(AgentDirectoryShardExport export)
    {
        state.State.Agents.UnionWith(export.Agents);
        foreach (var t in export.UsedTokens)
        {
            PerIssuer(state.State.TokensByIssuer, t.Issuer).TryAdd(t.TokenId, (t.Agent, t.Expires));
        }

        foreach (var r in export.RevokedTokens)
        {
            var revoked = PerIssuer(state.State.RevokedTokensByIssuer, r.Issuer);
            if (!revoked.TryGetValue(r.TokenId, out var until) || until < r.Until)
            {
                revoked[r.TokenId] = r.Until;
            }
        }

        Prune();
    }

    public Task<bool> Record(string agentKey, string issuer, string? tokenId, DateTimeOffset tokenExpires) =>
        WriteOnceOrRereadAsync(() => RecordOnce(agentKey, issuer, tokenId, tokenExpires));

    public async Task RevokeToken(string issuer, string tokenId, DateTimeOffset keepUntil, string reason)
    {
        var at = time.GetUtcNow();
        await WriteOnceOrRereadAsync(() =>
        {
            var revoked = PerIssuer(state.State.RevokedTokensByIssuer, issuer);
            var changed = !revoked.TryGetValue(tokenId, out var until) || until < keepUntil;
            if (changed)
            {
                revoked[tokenId] = keepUntil;
            }

            return (Prune() | changed, true);
        });

        // Once revoked, no login records the id any more: unused now means unused for good, so no agent grain will audit it.
        if (!(state.State.TokensByIssuer.TryGetValue(issuer, out var used) && used.ContainsKey(tokenId)))
        {
            try
            {
                await TokenRevocationChain.AppendAsync(AuditRecords.UnusedTokenRevocation(ChainId, at, issuer, tokenId, reason));
            }
            catch (AuditUnavailableException e)
            {
                throw new InvalidOperationException(
                    $"token {tokenId} of issuer {issuer} is revoked (in force until {keepUntil:O}) but the revocation could not be audited ({e.Message}); repeat the command once the audit store answers");
            }
        }
    }

    public Task<IReadOnlyList<string>> ListAgents() => Task.FromResult<IReadOnlyList<string>>([.. state.State.Agents]);

    public Task<IReadOnlyList<TokenOwner>> FindToken(string tokenId)
    {
        var now = time.GetUtcNow();
        return Task.FromResult<IReadOnlyList<TokenOwner>>([
            .. state.State.TokensByIssuer
                .Where(i => i.Value.TryGetValue(tokenId, out var used) && used.Expires > now)
                .Select(i => new TokenOwner(i.Key, i.Value[tokenId].Agent, i.Value[tokenId].Expires))
                .OrderBy(t => t.Issuer, StringComparer.Ordinal),
        ]);
    }

    public Task<IReadOnlyList<string>> ListIssuers() => Task.FromResult<IReadOnlyList<string>>([
        .. state.State.TokensByIssuer.Keys.Union(state.State.RevokedTokensByIssuer.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal),
    ]);

    private (bool Changed, bool Result) RecordOnce(string agentKey, string issuer, string? tokenId, DateTimeOffset tokenExpires)
    {
        var changed = state.State.Agents.Add(agentKey);
        var revoked = false;
        if (tokenId is not null)
        {
            revoked = state.State.RevokedTokensByIssuer.TryGetValue(issuer, out var revokedIds)
                && revokedIds.TryGetValue(tokenId, out var until) && until > time.GetUtcNow();
            var used = PerIssuer(state.State.TokensByIssuer, issuer);
            if (!revoked && !used.ContainsKey(tokenId))
            {
                used[tokenId] = (agentKey, tokenExpires);
                changed = true;
            }
        }

        return (Prune() | changed, revoked);
    }

    private static Dictionary<string, T> PerIssuer<T>(Dictionary<string, Dictionary<string, T>> byIssuer, string issuer)
    {
        if (!byIssuer.TryGetValue(issuer, out var ids))
        {
            byIssuer[issuer] = ids = new Dictionary<string, T>(StringComparer.Ordinal);
        }

        return ids;
    }

    /// <summary>Drops used tokens that have expired and revocations that have run out; true when anything went.</summary>
    private bool Prune()
    {
        var now = time.GetUtcNow();
        var pruned = PruneWhere(state.State.TokensByIssuer, used => used.Expires <= now);
        return PruneWhere(state.State.RevokedTokensByIssuer, until => until <= now) | pruned;
    }

    private static bool PruneWhere<T>(Dictionary<string, Dictionary<string, T>> byIssuer, Func<T, bool> gone)
    {
        var pruned = false;
        foreach (var (issuer, ids) in byIssuer.ToList())
        {
            foreach (var id in ids.Where(t => gone(t.Value)).Select(t => t.Key).ToList())
            {
                pruned |= ids.Remove(id);
            }

            if (ids.Count == 0)
            {
                byIssuer.Remove(issuer);
            }
        }

        return pruned;
    }

    /// <summary>Applies a change and writes it if it changed anything; on a write conflict, rereads and applies it again.</summary>
    private async Task<bool> WriteOnceOrRereadAsync(Func<(bool Changed, bool Result)> apply)
    {
        try
        {
            return await ApplyAndWriteAsync(apply);
        }
        catch (InconsistentStateException)
        {
            // Another activation of this grain (briefly possible while silos join or leave) wrote first:
            // read what it wrote and apply this change on top of it.
            await state.ReadStateAsync();
            return await ApplyAndWriteAsync(apply);
        }
    }

    private async Task<bool> ApplyAndWriteAsync(Func<(bool Changed, bool Result)> apply)
    {
        var (changed, result) = apply();
        if (changed)
        {
            await state.WriteStateAsync();
        }

        return result;
    }
}
