using System.Globalization;
using System.Text.RegularExpressions;
using OrleansGate.Policy.Model;
using YamlDotNet.RepresentationModel;

namespace OrleansGate.Policy.Loading;

public static partial class PolicyLoader
{
    /// <summary>The detectors the gateway has built in (docs/masking.md).</summary>
    public static readonly IReadOnlyList<string> BuiltInDetectors = ["email", "card", "us_ssn", "iban", "aws_access_key", "jwt", "pem_private_key"];

    private sealed partial class Reader
    {
        /// <summary>
        /// <c>masks:</c>, a list of <c>{ name, match, columns, detectors, patterns, method, keep, key_env | key_file, derived,
        /// predicates }</c>.
        /// </summary>
        public IEnumerable<PolicyMask> Masks(YamlNode node) => UniquelyNamed(node, "masks", "mask", Mask, m => m.Name);

        /// <summary>A section that is a list of named entries (<c>masks:</c>, <c>limits:</c>): each read by <paramref name="read"/>, no name twice.</summary>
        private IEnumerable<T> UniquelyNamed<T>(YamlNode node, string section, string noun, Func<YamlNode, T> read, Func<T, string> name)
        {
            if (node is not YamlSequenceNode seq)
            {
                throw Error(node, $"'{section}' must be a list");
            }

            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var item in seq.Children)
            {
                var entry = read(item);
                if (!names.Add(name(entry)))
                {
                    throw Error(item, $"duplicate {noun} name '{name(entry)}'");
                }

                yield return entry;
            }
        }

        private PolicyMask Mask(YamlNode node)
        {
            if (node is not YamlMappingNode map)
            {
                throw Error(node, "each mask must be a mapping");
            }

            string? name = null, method = null, keyEnv = null, keyFile = null;
            PolicyRule? match = null;
            IReadOnlyList<string> columns = [], detectors = [];
            var patterns = new Dictionary<string, string>(StringComparer.Ordinal);
            int? keep = null;
            bool denyDerived = false, denyPredicates = false;
            foreach (var (keyNode, value) in map.Children)
            {
                var key = Key(keyNode);
                switch (key)
                {
                    case "name": name = Scalar(value, key); break;
                    case "match": match = MaskMatch(value); break;
                    case "columns": columns = MaskColumns(value); break;
                    case "detectors": detectors = List(value, key); break;
                    case "patterns": patterns = Patterns(value); break;
                    case "method": method = Scalar(value, key); break;
                    case "keep": keep = Keep(value); break;
                    case "key_env": keyEnv = Scalar(value, key); break;
                    case "key_file": keyFile = Scalar(value, key); break;
                    case "key": throw Error(keyNode, "inline keys are not accepted in policy files; use key_env or key_file");
                    case "derived": denyDerived = Choice(value, key, "mask", "deny"); break;
                    case "predicates": denyPredicates = Choice(value, key, "allow", "deny"); break;
                    default: throw Error(keyNode, $"unknown mask key '{key}' (expected name, match, columns, detectors, patterns, method, keep, key_env, key_file, derived, predicates)");
                }
            }

            if (string.IsNullOrWhiteSpace(name))
            {
                throw Error(node, "mask needs a 'name'");
            }

            if (columns.Count == 0 && detectors.Count == 0)
            {
                throw Error(node, $"mask '{name}' needs 'columns' or 'detectors' (or both)");
            }

            foreach (var detector in detectors)
            {
                if (!BuiltInDetectors.Contains(detector) && !patterns.ContainsKey(detector))
                {
                    throw Error(node, $"mask '{name}': unknown detector '{detector}' (expected {string.Join(", ", BuiltInDetectors)}, or a name under 'patterns')");
                }
            }

            foreach (var unused in patterns.Keys.Where(p => !detectors.Contains(p)))
            {
                throw Error(node, $"mask '{name}': pattern '{unused}' is not listed under 'detectors'");
            }

            var parsed = method switch
            {
                null => throw Error(node, $"mask '{name}' needs a 'method' (redact, partial, hash or null)"),
                "redact" => MaskMethod.Redact,
                "partial" => MaskMethod.Partial,
                "hash" => MaskMethod.Hash,
                "null" => MaskMethod.Null,
                _ => throw Error(node, $"mask '{name}': method must be redact, partial, hash or null, not '{method}'"),
            };
            if ((parsed == MaskMethod.Partial) != keep.HasValue)
            {
                throw Error(node, parsed == MaskMethod.Partial
                    ? $"mask '{name}': method partial needs 'keep' (how many characters at the end stay)"
                    : $"mask '{name}': 'keep' is only for method partial");
            }

            if ((parsed == MaskMethod.Hash) != (keyEnv is not null || keyFile is not null) || (keyEnv is not null && keyFile is not null))
            {
                throw Error(node, parsed == MaskMethod.Hash
                    ? $"mask '{name}': method hash needs its key by reference: key_env (a variable's name) or key_file (a path), one of them"
                    : $"mask '{name}': key_env and key_file are only for method hash");
            }

            return new PolicyMask
            {
                Name = name,
                Line = (int)node.Start.Line,
                Match = (match ?? new PolicyRule { Name = "", Effect = PolicyEffect.Deny, Reason = "" }) with { Name = "mask:" + name, Reason = "mask" },
                Columns = columns,
                Detectors = detectors,
                Patterns = patterns,
                Method = parsed,
                Keep = keep ?? 0,
                KeyEnvironmentVariable = keyEnv,
                KeyFile = keyFile,
                DenyDerived = denyDerived,
                DenyPredicates = denyPredicates,
            };
        }

        /// <summary>A rule's match restricted to who and where: a mask applies to whole results, not to statement kinds.</summary>
        private PolicyRule MaskMatch(YamlNode node) => DenyLikeMatch(
            node,
            key => key is "issuers" or "subjects" or "groups" or "claims" or "targets",
            key => $"a mask matches on issuers, subjects, groups, claims and targets only, not '{key}'");

        /// <summary>
        /// A match of the keys <paramref name="allowed"/> accepts only (<paramref name="problem"/> says why another is refused), read
        /// as a deny rule's: a claim the gateway could not carry makes it apply (fail closed).
        /// </summary>
        private PolicyRule DenyLikeMatch(YamlNode node, Func<string, bool> allowed, Func<string, string> problem)
        {
            if (node is YamlMappingNode map)
            {
                foreach (var (keyNode, _) in map.Children)
                {
                    if (Key(keyNode) is var key && !allowed(key))
                    {
                        throw Error(keyNode, problem(key));
                    }
                }
            }

            return Match(node) with { Effect = PolicyEffect.Deny };
        }

        private IReadOnlyList<string> MaskColumns(YamlNode node)
        {
            var columns = List(node, "columns");
            foreach (var column in columns)
            {
                var parts = column.Split('.');
                if (parts.Length != 3 || parts.Any(string.IsNullOrWhiteSpace))
                {
                    throw Error(node, $"column '{column}' must be schema.table.column (globs allowed, e.g. public.customers.email or *.*.card_*)");
                }
            }

            return columns;
        }

        private Dictionary<string, string> Patterns(YamlNode node)
        {
            if (node is not YamlMappingNode map)
            {
                throw Error(node, "'patterns' must be a mapping of name to regular expression");
            }

            var patterns = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (keyNode, value) in map.Children)
            {
                var name = Key(keyNode);
                if (BuiltInDetectors.Contains(name))
                {
                    throw Error(keyNode, $"pattern name '{name}' is a built-in detector's");
                }

                var pattern = Scalar(value, name);
                try
                {
                    // The engine masking uses: linear in the value's length, so no pattern can backtrack catastrophically.
                    _ = new Regex(pattern, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant);
                }
                catch (Exception e) when (e is ArgumentException or NotSupportedException)
                {
                    throw Error(value, $"pattern '{name}' cannot be used: {e.Message} (patterns run without backtracking: no backreferences, lookarounds or atomic groups)");
                }

                patterns[name] = pattern;
            }

            return patterns;
        }

        private int Keep(YamlNode node)
        {
            var text = Scalar(node, "keep");
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 64
                ? n
                : throw Error(node, $"'keep' must be a whole number from 1 to 64, not '{text}'");
        }

        /// <summary>One of two words: false for <paramref name="first"/>, true for <paramref name="second"/>.</summary>
        private bool Choice(YamlNode node, string key, string first, string second)
        {
            var text = Scalar(node, key);
            return text == second || (text != first ? throw Error(node, $"'{key}' must be {first} or {second}, not '{text}'") : false);
        }
    }
}
