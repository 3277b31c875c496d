using OrleansGate.Model;
using OrleansGate.Policy.Classification;
using OrleansGate.Policy.Evaluation;
using OrleansGate.Policy.Loading;
using OrleansGate.Policy.Masking;
using OrleansGate.Policy.Model;

namespace OrleansGate.Host.Commands;

/// <summary>
/// <c>policy check FILE</c> and <c>policy test</c>: offline — they load a policy file and classify
/// text locally, so they need no cluster and never touch a target. <c>policy apply FILE</c> and
/// <c>policy show</c> talk to the cluster as an Orleans client, configured like the nodes.
/// </summary>
public static class PolicyCommand
{
    public static Task<int> RunAsync(Arguments arguments, TextWriter stdout, TextWriter stderr) =>
        RunAsync(arguments, () => throw new CommandLineException("this policy subcommand needs the cluster configuration (--config)"), stdout, stderr, CancellationToken.None);

    public static async Task<int> RunAsync(Arguments arguments, Func<IConfiguration> configuration, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var sub = arguments.TakeCommand();
        switch (sub)
        {
            case "check":
            {
                var file = arguments.TakeCommand() ?? throw new CommandLineException("policy check needs FILE");
                arguments.EnsureEmpty();
                if (!TryLoad(file, stderr, out var policy))
                {
                    return 1;
                }

                await stdout.WriteLineAsync($"{file}: ok, version {policy.Version}, {policy.Rules.Count} rules, {policy.Targets.Count} targets, {policy.Masks.Count} masks, {policy.Limits.Count} limits");
                foreach (var mask in policy.Masks)
                {
                    await stdout.WriteLineAsync($"mask {mask.Name}: columns [{string.Join(", ", mask.Columns)}], detectors [{string.Join(", ", mask.Detectors)}], method {mask.Method.ToString().ToLowerInvariant()}"
                        + $", derived {(mask.DenyDerived ? "deny" : "mask")}, predicates {(mask.DenyPredicates ? "deny" : "allow")}");
                }

                foreach (var target in policy.Targets.Values.OrderBy(t => t.Name, StringComparer.Ordinal))
                {
                    await stdout.WriteLineAsync($"target {Describe(target)}");
                }

                foreach (var limit in policy.Limits)
                {
                    await stdout.WriteLineAsync($"limit {limit.Name}: {Describe(limit)}");
                }

                return 0;
            }

            case "test":
                return await TestAsync(arguments, stdout, stderr);
            case "apply":
            {
                var wait = arguments.TakeValue("--wait") is { } seconds
                    ? int.TryParse(seconds, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var s) && s <= 3600
                        ? TimeSpan.FromSeconds(s)
                        : throw new CommandLineException($"--wait expects whole seconds (0 to 3600), got '{seconds}'")
                    : PolicyClusterCommand.DefaultAcknowledgementWait;
                var file = arguments.TakeCommand() ?? throw new CommandLineException("policy apply needs FILE");
                arguments.EnsureEmpty();
                return await PolicyClusterCommand.ApplyAsync(file, configuration(), stdout, stderr, ct, wait);
            }

            case "show":
                arguments.EnsureEmpty();
                return await PolicyClusterCommand.ShowAsync(configuration(), stdout, ct);
            default:
                throw new CommandLineException(sub is null ? "policy needs a subcommand: check, test, apply or show" : $"unknown policy subcommand '{sub}'");
        }
    }

    private static async Task<int> TestAsync(Arguments arguments, TextWriter stdout, TextWriter stderr)
    {
        var file = arguments.TakeValue("--policy") ?? throw new CommandLineException("policy test needs --policy FILE");
        var subject = arguments.TakeValue("--subject") ?? throw new CommandLineException("policy test needs --subject");
        var groups = (arguments.TakeValue("--groups") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var issuer = arguments.TakeValue("--issuer") ?? "";
        var claims = Claims(arguments.TakeAll("--claims"));
        var target = arguments.TakeValue("--target") ?? throw new CommandLineException("policy test needs --target");
        var sql = arguments.TakeValue("--sql") ?? throw new CommandLineException("policy test needs --sql");
        arguments.EnsureEmpty();
        if (!TryLoad(file, stderr, out var policy))
        {
            return 1;
        }

        var classification = new SqlClassifier().Classify(sql);
        var identity = new PolicyIdentity(subject, groups, claims, issuer);
        var decision = PolicyEvaluator.Decide(policy, identity, target, classification);
        await stdout.WriteLineAsync($"decision: {decision.Effect.ToString().ToLowerInvariant()}");
        await stdout.WriteLineAsync($"rule:     {decision.Rule}");
        await stdout.WriteLineAsync($"reason:   {decision.Reason}");
        if (decision.Effect == PolicyEffect.Approve && policy.Rules.FirstOrDefault(r => r.Name == decision.Rule)?.Approval is { } terms)
        {
            await stdout.WriteLineAsync($"approval: {terms.Required} approval(s) from {string.Join(" or ", terms.ApproverGroups)}; " +
                $"the agent {(terms.Mode == ApprovalMode.Wait ? "waits" : "retries")} up to {PolicyLoader.FormatDuration(terms.Timeout)}; " +
                $"reuse {terms.Reuse.ToString().ToLowerInvariant()}{(terms.Reuse == ApprovalReuse.None ? "" : $" for up to {PolicyLoader.FormatDuration(terms.MaxReuseWindow)}")}");
        }

        await stdout.WriteLineAsync($"policy:   {decision.PolicyVersion}");
        await stdout.WriteLineAsync(policy.Targets.TryGetValue(target, out var defined)
            ? $"target:   {Describe(defined)} (defined in the policy)"
            : $"target:   {target} (not in the policy file: resolved from the gateway configuration, if configured there)");
        await stdout.WriteLineAsync(classification.Parsed
            ? $"kinds:    {classification.Kinds}"
            : $"parse error: {classification.ParseError}");
        await stdout.WriteLineAsync($"reads:    {string.Join(", ", classification.RelationsRead.Order(StringComparer.Ordinal))}");
        await stdout.WriteLineAsync($"writes:   {string.Join(", ", classification.RelationsWritten.Order(StringComparer.Ordinal))}");
        await stdout.WriteLineAsync($"functions: {string.Join(", ", classification.Functions.Order(StringComparer.Ordinal))}");
        await stdout.WriteLineAsync($"dangerous: {string.Join(", ", classification.DangerousFunctionGroups.Order(StringComparer.Ordinal))}");
        await stdout.WriteLineAsync($"unbounded write: {(classification.HasUnboundedWrite ? "yes" : "no")}");

        var limits = PolicyEvaluator.LimitsFor(policy, identity);
        await stdout.WriteLineAsync(limits.IsEmpty ? "limits:   none apply" : $"limits:   {Describe(limits)}");

        var refusedByMask = await WriteMasksAsync(stdout, PolicyEvaluator.MasksFor(policy, identity, target), sql);

        // Exit code tells scripts the outcome without parsing text: 0 allow, 2 refused.
        return decision.IsAllowed && !refusedByMask ? 0 : 2;
    }

    private static string Describe(PolicyLimit limit) => string.Join(", ", new[]
    {
        limit.StatementsPerSecond is { } rate ? $"{rate.ToString(System.Globalization.CultureInfo.InvariantCulture)} statements/s" : null,
        limit.Sessions is { } sessions ? $"{sessions} sessions" : null,
        limit.RowsRead is { } read ? $"rows read {read.Max} per {PolicyLoader.FormatDuration(read.Window)}" : null,
        limit.RowsChanged is { } changed ? $"rows changed {changed.Max} per {PolicyLoader.FormatDuration(changed.Window)}" : null,
    }.OfType<string>());

    /// <summary>The limits in force for one identity, each with the entry that set it.</summary>
    private static string Describe(AgentLimits limits) => string.Join(", ", new[]
    {
        limits.Statements is { } rate ? $"{rate.PerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture)} statements/s ('{rate.Limit}')" : null,
        limits.Sessions is { } sessions ? $"{sessions.Max} sessions ('{sessions.Limit}')" : null,
        limits.RowsRead is { } read ? $"rows read {read.Max} per {PolicyLoader.FormatDuration(read.Window)} ('{read.Limit}')" : null,
        limits.RowsChanged is { } changed ? $"rows changed {changed.Max} per {PolicyLoader.FormatDuration(changed.Window)} ('{changed.Limit}')" : null,
    }.OfType<string>());

    /// <summary>
    /// Which result columns the masks would mask, and why, from the statement's analysis against the masks' columns by name
    /// (a glob with a wildcard is resolved against the target's catalog at run time, and named as such). True when the masks
    /// refuse the statement.
    /// </summary>
    private static async Task<bool> WriteMasksAsync(TextWriter stdout, IReadOnlyList<PolicyMask> masks, string sql)
    {
        if (masks.Count == 0)
        {
            await stdout.WriteLineAsync("masks:    none apply");
            return false;
        }

        await stdout.WriteLineAsync($"masks:    {string.Join(", ", masks.Select(m => $"{m.Name} ({m.Method.ToString().ToLowerInvariant()})"))}");
        var named = new List<MaskedColumnName>();
        foreach (var mask in masks)
        {
            foreach (var column in mask.Columns)
            {
                var parts = column.Split('.');
                if (parts.Length == 3 && !column.Contains('*', StringComparison.Ordinal) && !column.Contains('?', StringComparison.Ordinal))
                {
                    named.Add(new MaskedColumnName(parts[0], parts[1], parts[2], mask));
                }
                else
                {
                    await stdout.WriteLineAsync($"          {column} ({mask.Name}) is a glob: resolved against the target's catalog when a session opens");
                }
            }
        }

        var analysis = MaskAnalyzer.Analyze(sql, new MaskedRelations(named));
        if (analysis.Refusal is { } refusal)
        {
            await stdout.WriteLineAsync($"masking:  refused by mask {refusal.Mask.Name}: {refusal.Reason}");
            return true;
        }

        for (var s = 0; s < analysis.Statements.Count; s++)
        {
            var statement = analysis.Statements[s];
            var prefix = analysis.Statements.Count > 1 ? $"statement {s + 1}, " : "";
            if (statement.Columns is { } columns)
            {
                for (var i = 0; i < columns.Count; i++)
                {
                    if (columns[i] is { } taint)
                    {
                        await stdout.WriteLineAsync($"masked:   {prefix}column {i + 1}: mask {taint.Mask.Name} ({taint.Mask.Method.ToString().ToLowerInvariant()}), "
                            + (taint.Derived ? "derived from a masked column" : "the masked column itself"));
                    }
                }
            }
            else if (statement.AnyColumn is { } any)
            {
                await stdout.WriteLineAsync($"masked:   {prefix}every computed column (a * over computed values): mask {any.Name}");
            }

            if (statement.Columns is null or { Count: > 0 })
            {
                await stdout.WriteLineAsync($"          {prefix}plain columns of masked tables are masked by table OID and attribute number, whatever their alias; detectors read the rest");
            }
        }

        return false;
    }

    /// <summary><c>--claims name=value</c>, repeatable; a name given twice collects both values (as an array claim).</summary>
    private static Dictionary<string, IReadOnlyList<string>> Claims(IReadOnlyList<string> pairs)
    {
        var claims = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new CommandLineException($"--claims expects name=value, got '{pair}'");
            }

            var name = pair[..equals];
            if (!claims.TryGetValue(name, out var values))
            {
                claims[name] = values = [];
            }

            values.Add(pair[(equals + 1)..]);
        }

        return claims.ToDictionary(c => c.Key, IReadOnlyList<string> (c) => c.Value, StringComparer.Ordinal);
    }

    /// <summary>Where a target connects and how its password is found: the reference, never a value (a policy holds none).</summary>
    private static string Describe(PolicyTarget target) =>
        $"{target.Name} -> {target.Host}:{target.Port}/{target.Database} as {target.Username}, {target.CredentialReference}";

    private static bool TryLoad(string file, TextWriter stderr, out CompiledPolicy policy)
    {
        try
        {
            policy = PolicyLoader.LoadFile(file);
            return true;
        }
        catch (PolicyLoadException e)
        {
            stderr.WriteLine(e.Message);
            policy = null!;
            return false;
        }
    }
}
