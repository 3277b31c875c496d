using OrleansGate.Policy.Model;
using YamlDotNet.RepresentationModel;

namespace OrleansGate.Policy.Loading;

public static partial class PolicyLoader
{
    private sealed partial class Reader
    {
        /// <summary><c>kubernetes_masks:</c>, a list of <c>{ kind: ConfigMap, paths: [data.password] }</c>, one entry per kind.</summary>
        public IEnumerable<KubernetesMask> KubernetesMasks(YamlNode node)
        {
            if (node is not YamlSequenceNode seq)
            {
                throw Error(node, "'kubernetes_masks' must be a list");
            }

            var kinds = new HashSet<string>(StringComparer.Ordinal);
            foreach (var item in seq.Children)
            {
                var mask = ReadKubernetesMask(item);
                if (!kinds.Add(mask.Kind))
                {
                    throw Error(item, $"kind '{mask.Kind}' is given twice in kubernetes_masks; list its paths in one entry");
                }

                yield return mask;
            }
        }

        private KubernetesMask ReadKubernetesMask(YamlNode node)
        {
            if (node is not YamlMappingNode map)
            {
                throw Error(node, "each kubernetes_masks entry must be a mapping (kind, paths)");
            }

            string? kind = null;
            List<string>? paths = null;
            foreach (var (keyNode, value) in map.Children)
            {
                var key = Key(keyNode);
                switch (key)
                {
                    case "kind": kind = MaskedKind(value); break;
                    case "paths": paths = [.. Items(value, key).Select(ObjectPath)]; break;
                    default: throw Error(keyNode, $"unknown kubernetes_masks key '{key}' (expected kind, paths)");
                }
            }

            if (kind is null)
            {
                throw Error(node, "kubernetes_masks entry needs a 'kind' (such as ConfigMap)");
            }

            if (paths is not { Count: > 0 })
            {
                throw Error(node, $"kubernetes_masks entry for {kind} needs 'paths' (such as [data.password])");
            }

            return new KubernetesMask { Kind = kind, Paths = paths, Line = (int)node.Start.Line };
        }

        /// <summary>
        /// <c>Kind</c>, <c>group/Kind</c> or <c>core/Kind</c>; the kind as objects write it (a letter in upper case, then letters
        /// and digits: <c>ConfigMap</c>, not the resource <c>configmaps</c>), the group in lower case.
        /// </summary>
        private string MaskedKind(YamlNode node)
        {
            var text = Scalar(node, "kind");
            var slash = text.IndexOf('/', StringComparison.Ordinal);
            var (group, kind) = slash < 0 ? ("core", text) : (text[..slash], text[(slash + 1)..]);
            return kind is [>= 'A' and <= 'Z', ..] && kind.All(char.IsAsciiLetterOrDigit)
                && group.Length > 0 && group.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '.')
                ? text
                : throw Error(node, $"kind '{text}' must be Kind, group/Kind or core/Kind, the kind as objects write it (ConfigMap, apps/Deployment), not the resource name (configmaps)");
        }

        /// <summary>A path in the masker's syntax (<see cref="KubernetesMask.Paths"/>), refused here so a policy that loads never fails there.</summary>
        private string ObjectPath((YamlNode Node, string Text) item) =>
            ObjectPathProblem(item.Text) is { } problem
                ? throw Error(item.Node, $"path '{item.Text}' at character {problem.Position}: {problem.Reason} (keys separated by '.', '*' for any key, '[*]' for every array element, '\\' before . [ ] * \\ in a key: data.password, spec.containers[*].env[*].value, data.app\\.properties)")
                : item.Text;

        /// <summary>The grammar of the gateway's masker (OrleansGate.Kubernetes.Masking.MaskPath.Parse), step for step.</summary>
        private static (int Position, string Reason)? ObjectPathProblem(string text)
        {
            var position = 0;
            while (true)
            {
                if (position < text.Length && text[position] == '*' && (position + 1 == text.Length || text[position + 1] is '.' or '['))
                {
                    position++; // any one key
                }
                else
                {
                    var start = position;
                    for (; position < text.Length && text[position] is not ('.' or '['); position++)
                    {
                        if (text[position] == '\\')
                        {
                            if (++position == text.Length)
                            {
                                return (position, "'\\' at the end escapes nothing");
                            }

                            continue; // the escaped character is part of the key, whatever it is
                        }

                        if (text[position] is '*' or ']')
                        {
                            return (position, $"'{text[position]}' inside a key must be escaped as '\\{text[position]}'");
                        }
                    }

                    if (position == start)
                    {
                        return (position, "empty key");
                    }
                }

                while (text.AsSpan(position).StartsWith("[*]", StringComparison.Ordinal))
                {
                    position += 3;
                }

                if (position == text.Length)
                {
                    return null;
                }

                if (text[position] != '.' || position == text.Length - 1)
                {
                    return (position, "expected '.' between keys, or '[*]' (no other index is supported)");
                }

                position++;
            }
        }

        /// <summary>A list's items with their nodes, so an error names the item's own line.</summary>
        private List<(YamlNode Node, string Text)> Items(YamlNode node, string key) =>
            node is YamlSequenceNode seq ? [.. seq.Children.Select(c => (c, Scalar(c, key)))]
            : node is YamlScalarNode ? [(node, Scalar(node, key))]
            : throw Error(node, $"'{key}' must be a value or a list of values");
    }
}
