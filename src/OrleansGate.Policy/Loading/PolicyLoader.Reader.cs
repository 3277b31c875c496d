using OrleansGate.Policy.Classification;
using OrleansGate.Policy.Model;
using YamlDotNet.RepresentationModel;

namespace OrleansGate.Policy.Loading;

public static partial class PolicyLoader
{
    /// <summary>Turns YAML nodes into rules, throwing <see cref="PolicyLoadException"/> with the node's line.</summary>
    private sealed partial class Reader(string source)
    {
        public PolicyLoadException Error(YamlNode node, string problem) =>
            new(source, (int)node.Start.Line, problem);

        public string Key(YamlNode node) =>
            node is YamlScalarNode { Value: { } v } ? v : throw Error(node, "expected a plain key");

        public string Scalar(YamlNode node, string key) =>
            node is YamlScalarNode { Value: { } v } ? v : throw Error(node, $"'{key}' must be a single value");

        public IReadOnlyList<string> List(YamlNode node, string key)
        {
            if (node is YamlScalarNode { Value: { } single })
            {
                return [single];
            }

            if (node is not YamlSequenceNode seq)
            {
                throw Error(node, $"'{key}' must be a value or a list of values");
            }

            return [.. seq.Children.Select(c => Scalar(c, key))];
        }

        public IEnumerable<PolicyRule> Rules(YamlNode node)
        {
            if (node is not YamlSequenceNode seq)
            {
                throw Error(node, "'rules' must be a list");
            }

            foreach (var item in seq.Children)
            {
                yield return Rule(item);
            }
        }

        public IEnumerable<PolicyRule> Guardrails(YamlNode node)
        {
            if (node is not YamlMappingNode map)
            {
                throw Error(node, "'guardrails' must be a mapping");
            }

            foreach (var (keyNode, value) in map.Children)
            {
                var key = Key(keyNode);
                if (key != "unbounded_write")
                {
                    throw Error(keyNode, $"unknown guardrail '{key}' (expected unbounded_write)");
                }

                var effect = Effect(value, Scalar(value, key));
                if (effect == PolicyEffect.Allow)
                {
                    continue; // "allow" turns the guardrail off.
                }

                yield return new PolicyRule
                {
                    Name = "guardrail:unbounded_write",
                    Effect = effect,
                    Reason = "UPDATE or DELETE without WHERE",
                    Line = (int)keyNode.Start.Line,
                    UnboundedWriteOnly = true,
                };
            }
        }

        private PolicyEffect Effect(YamlNode node, string text) => text.ToLowerInvariant() switch
        {
            "allow" => PolicyEffect.Allow,
            "deny" => PolicyEffect.Deny,
            "approve" => PolicyEffect.Approve,
            _ => throw Error(node, $"effect must be allow, deny or approve, not '{text}'"),
        };

        private PolicyRule Rule(YamlNode node)
        {
            if (node is not YamlMappingNode map)
            {
                throw Error(node, "each rule must be a mapping");
            }

            string? name = null, reason = null;
            PolicyEffect? effect = null;
            PolicyRule? match = null;
            YamlNode? approval = null, revealKey = null;
            var revealSecrets = false;
            foreach (var (keyNode, value) in map.Children)
            {
                var key = Key(keyNode);
                switch (key)
                {
                    case "name": name = Scalar(value, key); break;
                    case "reason": reason = Scalar(value, key); break;
                    case "effect": effect = Effect(value, Scalar(value, key)); break;
                    case "match": match = Match(value); break;
                    case "approval": approval = value; break;
                    case "reveal_secrets": (revealSecrets, revealKey) = (Bool(value, key), keyNode); break;
                    default: throw Error(keyNode, $"unknown rule key '{key}' (expected name, effect, reason, match, approval, reveal_secrets)");
                }
            }

            if (string.IsNullOrWhiteSpace(name))
            {
                throw Error(node, "rule needs a 'name'");
            }

            if (effect is null)
            {
                throw Error(node, $"rule '{name}' needs an 'effect' (allow, deny or approve)");
            }

            if (string.IsNullOrWhiteSpace(reason))
            {
                throw Error(node, $"rule '{name}' needs a 'reason' (it is shown to the client)");
            }

            if (effect == PolicyEffect.Approve && approval is null)
            {
                throw Error(node, $"rule '{name}' has effect approve but no 'approval' (who approves, e.g. approval: {{ approvers: {{ groups: [dba] }} }})");
            }

            if (effect != PolicyEffect.Approve && approval is not null)
            {
                throw Error(approval, $"rule '{name}' has 'approval' but its effect is {effect.Value.ToString().ToLowerInvariant()}, not approve");
            }

            if (revealSecrets)
            {
                RevealSecrets(revealKey!, name, effect.Value, match?.Kubernetes);
            }

            if (effect == PolicyEffect.Allow && match?.Ssh is { Commands.Count: 0 })
            {
                // "Any program" on a host is a shell: an allow must name what it allows (commands: ["**"] if that is meant).
                throw Error(node, $"rule '{name}' allows ssh commands but names no 'commands'; list the programs it allows");
            }

            if (effect == PolicyEffect.Allow && match?.Kubernetes?.Resources.FirstOrDefault(IsEveryNameOfTwoSegments) is { } ambiguous)
            {
                // Compared as a name, '*/*' is every resource of every named group AND every subresource of every core
                // resource (pods/exec, nodes/proxy): an allow that reads as the first would grant the second.
                throw Error(node, $"rule '{name}': resource '{ambiguous.Text}' would allow every core subresource (pods/exec, nodes/proxy) as well as every resource of every API group; name the groups (apps/*) or the subresources (pods/log) you mean");
            }

            return (match ?? new PolicyRule { Name = "", Effect = PolicyEffect.Deny, Reason = "" }) with
            {
                Name = name,
                Effect = effect.Value,
                Reason = reason,
                Line = (int)node.Start.Line,
                Approval = approval is null ? null : Approval(approval, name),
                RevealSecrets = revealSecrets,
            };
        }

        private static bool IsEveryNameOfTwoSegments(KubernetesResourcePattern pattern) =>
            pattern.Segments is [var first, var second] && first.All(c => c == '*') && second.All(c => c == '*');

        /// <summary><c>reveal_secrets: true</c> lets Secret values through: only where the rule lets Secrets through, and says so.</summary>
        private void RevealSecrets(YamlNode keyNode, string rule, PolicyEffect effect, KubernetesMatch? kubernetes)
        {
            if (effect == PolicyEffect.Deny)
            {
                throw Error(keyNode, $"rule '{rule}': reveal_secrets is for allow and approve rules, not deny");
            }

            if (kubernetes is null)
            {
                throw Error(keyNode, $"rule '{rule}': reveal_secrets needs a 'kubernetes' match (which Secrets, for whom)");
            }

            var secrets = new KubernetesRequestFacts { IsResourceRequest = true, Verb = "get", Path = "", Resource = "secrets" };
            if (!Evaluation.RequestRules.Covers(kubernetes with { Verbs = [], Namespaces = [], Names = [] }, secrets))
            {
                throw Error(keyNode, $"rule '{rule}': reveal_secrets, but its kubernetes match never covers the resource secrets");
            }
        }

        private PolicyRule Match(YamlNode node)
        {
            if (node is not YamlMappingNode map)
            {
                throw Error(node, "'match' must be a mapping");
            }

            var rule = new PolicyRule { Name = "", Effect = PolicyEffect.Deny, Reason = "" };
            YamlNode? statementKey = null, protocolKey = null;
            foreach (var (keyNode, value) in map.Children)
            {
                var key = Key(keyNode);
                if (key is "kinds" or "relations" or "functions" or "function_groups" or "unbounded_write")
                {
                    statementKey ??= keyNode;
                }
                else if (key is "kubernetes" or "http" or "ssh")
                {
                    // One match decides one protocol: keys of two could never be met by one request.
                    protocolKey = protocolKey is null ? keyNode
                        : throw Error(keyNode, $"a rule matches one protocol: '{key}' cannot stand with '{Key(protocolKey)}'; write two rules");
                }

                rule = key switch
                {
                    "issuers" => rule with { Issuers = List(value, key) },
                    "subjects" => rule with { Subjects = List(value, key) },
                    "groups" => rule with { Groups = List(value, key) },
                    "claims" => rule with { Claims = Claims(value) },
                    "targets" => rule with { Targets = List(value, key) },
                    "kinds" => rule with { Kinds = Kinds(value) },
                    "relations" => rule with { Relations = List(value, key) },
                    "functions" => rule with { Functions = List(value, key) },
                    "function_groups" => rule with { FunctionGroups = Groups(value) },
                    "unbounded_write" => rule with { UnboundedWriteOnly = Bool(value, key) },
                    "kubernetes" => rule with { Kubernetes = ReadKubernetesMatch(value) },
                    "http" => rule with { Http = ReadHttpMatch(value) },
                    "ssh" => rule with { Ssh = ReadSshMatch(value) },
                    _ => throw Error(keyNode, $"unknown match key '{key}' (expected issuers, subjects, groups, claims, targets, kinds, relations, functions, function_groups, unbounded_write, kubernetes, http, ssh)"),
                };
            }

            if (protocolKey is not null && statementKey is not null)
            {
                var later = protocolKey.Start.Line >= statementKey.Start.Line ? protocolKey : statementKey;
                throw Error(later, $"a rule matches one protocol: '{Key(protocolKey)}' cannot stand with '{Key(statementKey)}', a SQL statement key; write two rules");
            }

            return rule;
        }

        private bool Bool(YamlNode node, string key) => Scalar(node, key) switch
        {
            "true" => true,
            "false" => false,
            _ => throw Error(node, $"'{key}' must be true or false"),
        };

        private Dictionary<string, string> Claims(YamlNode node)
        {
            if (node is not YamlMappingNode map)
            {
                throw Error(node, "'claims' must be a mapping of claim name to value");
            }

            var claims = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (keyNode, value) in map.Children)
            {
                var name = Key(keyNode);
                // The gateway does not carry these as claims, so a rule on them could never match (a deny rule would fail open).
                if (name is "iss" or "sub")
                {
                    throw Error(keyNode, $"claim '{name}' cannot be matched under 'claims'; use '{(name == "iss" ? "issuers" : "subjects")}'");
                }

                if (name is "aud" or "exp" or "nbf" or "iat" or "jti")
                {
                    throw Error(keyNode, $"claim '{name}' is checked when the token is validated and cannot be matched by a rule");
                }

                claims[name] = Scalar(value, name);
            }

            return claims;
        }

        private StatementKind Kinds(YamlNode node)
        {
            var kinds = StatementKind.None;
            foreach (var name in List(node, "kinds"))
            {
                var kind = ParseKind(name);
                if (kind == StatementKind.None)
                {
                    throw Error(node, $"unknown statement kind '{name}' (expected read, write, ddl, privilege, role_change, procedural, transaction, admin, session, lock, other)");
                }

                kinds |= kind;
            }

            return kinds;
        }

        private IReadOnlyList<string> Groups(YamlNode node)
        {
            var groups = List(node, "function_groups");
            foreach (var g in groups)
            {
                if (!DangerousFunctionGroups.All.Contains(g))
                {
                    throw Error(node, $"unknown function group '{g}' (expected {string.Join(", ", DangerousFunctionGroups.All.Order(StringComparer.Ordinal))})");
                }
            }

            return groups;
        }
    }
}
