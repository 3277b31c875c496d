using System.Globalization;
using OrleansGate.Policy.Model;
using YamlDotNet.RepresentationModel;

namespace OrleansGate.Policy.Loading;

public static partial class PolicyLoader
{
    /// <summary>The longest window a rows budget may have: the agent grain keeps its counts in memory.</summary>
    public static readonly TimeSpan MaxBudgetWindow = TimeSpan.FromDays(7);

    /// <summary>Bounds a rate so a typo (an extra zero or five) is an error, not "unlimited".</summary>
    public const double MaxStatementsPerSecond = 1_000_000;

    private sealed partial class Reader
    {
        /// <summary><c>limits:</c>, a list of <c>{ name, match, statements_per_second, sessions, rows_read, rows_changed }</c>.</summary>
        public IEnumerable<PolicyLimit> Limits(YamlNode node) => UniquelyNamed(node, "limits", "limit", Limit, l => l.Name);

        private PolicyLimit Limit(YamlNode node)
        {
            if (node is not YamlMappingNode map)
            {
                throw Error(node, "each limit must be a mapping");
            }

            string? name = null;
            PolicyRule? match = null;
            double? perSecond = null;
            int? sessions = null;
            RowBudget? rowsRead = null, rowsChanged = null;
            foreach (var (keyNode, value) in map.Children)
            {
                var key = Key(keyNode);
                switch (key)
                {
                    case "name": name = Scalar(value, key); break;
                    case "match": match = LimitMatch(value); break;
                    case "statements_per_second": perSecond = Rate(value, key); break;
                    case "sessions": sessions = (int)Count(value, key, int.MaxValue); break;
                    case "rows_read": rowsRead = Budget(value, key); break;
                    case "rows_changed": rowsChanged = Budget(value, key); break;
                    default: throw Error(keyNode, $"unknown limit key '{key}' (expected name, match, statements_per_second, sessions, rows_read, rows_changed)");
                }
            }

            if (string.IsNullOrWhiteSpace(name))
            {
                throw Error(node, "limit needs a 'name'");
            }

            if (perSecond is null && sessions is null && rowsRead is null && rowsChanged is null)
            {
                throw Error(node, $"limit '{name}' sets nothing: give statements_per_second, sessions, rows_read or rows_changed");
            }

            return new PolicyLimit
            {
                Name = name,
                Line = (int)node.Start.Line,

                Match = (match ?? new PolicyRule { Name = "", Effect = PolicyEffect.Deny, Reason = "" }) with { Name = "limit:" + name, Reason = "limit" },
                StatementsPerSecond = perSecond,
                Sessions = sessions,
                RowsRead = rowsRead,
                RowsChanged = rowsChanged,
            };
        }

        /// <summary>A rule's match restricted to who: a limit is per agent, across all its targets.</summary>
        private PolicyRule LimitMatch(YamlNode node) => DenyLikeMatch(
            node,
            key => key is "issuers" or "subjects" or "groups" or "claims",
            key => $"a limit matches on issuers, subjects, groups and claims only, not '{key}' (limits are per agent, across all its targets)");

        private double Rate(YamlNode node, string key)
        {
            var text = Scalar(node, key);
            return double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var rate) && rate > 0 && rate <= MaxStatementsPerSecond
                ? rate
                : throw Error(node, $"'{key}' must be a number above 0 and at most {MaxStatementsPerSecond:0}, not '{text}'");
        }

        private long Count(YamlNode node, string key, long max)
        {
            var text = Scalar(node, key);
            return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 && n <= max
                ? n
                : throw Error(node, $"'{key}' must be a whole number from 1 to {max}, not '{text}'");
        }

        /// <summary><c>{ max: N, window: 1h }</c>.</summary>
        private RowBudget Budget(YamlNode node, string key)
        {
            if (node is not YamlMappingNode map)
            {
                throw Error(node, $"'{key}' must be a mapping such as {{ max: 1000, window: 1h }}");
            }

            long? max = null;
            TimeSpan? window = null;
            foreach (var (keyNode, value) in map.Children)
            {
                switch (Key(keyNode))
                {
                    case "max": max = Count(value, "max", long.MaxValue); break;
                    case "window": window = Duration(value, "window", MaxBudgetWindow); break;
                    case var other: throw Error(keyNode, $"unknown key '{other}' in '{key}' (expected max, window)");
                }
            }

            return max is null ? throw Error(node, $"'{key}' needs 'max' (rows per window)")
                : window is null ? throw Error(node, $"'{key}' needs 'window' (a duration such as 60s, 1h or 1d)")
                : new RowBudget(max.Value, window.Value);
        }
    }
}
