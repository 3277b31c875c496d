using System.Globalization;
using OrleansGate.Model;
using YamlDotNet.RepresentationModel;

namespace OrleansGate.Policy.Loading;

public static partial class PolicyLoader
{
    /// <summary>Bounds of an approve rule's settings: a request held longer than a day is not waiting, it is lost.</summary>
    public static readonly TimeSpan MaxApprovalTimeout = TimeSpan.FromDays(1);

    /// <inheritdoc cref="MaxApprovalTimeout"/>
    public static readonly TimeSpan MaxReuseWindow = TimeSpan.FromDays(7);

    /// <summary>The default timeout of an approve rule.</summary>
    public static readonly TimeSpan DefaultApprovalTimeout = TimeSpan.FromMinutes(10);

    /// <summary>The default longest reuse window, when a rule allows reuse and names none.</summary>
    public static readonly TimeSpan DefaultMaxReuseWindow = TimeSpan.FromMinutes(30);

    private sealed partial class Reader
    {
        /// <summary>
        /// <c>approval: { approvers: { groups: [dba] }, required: 2, mode: wait, timeout: 10m, reuse: exact, max_reuse: 30m }</c>.
        /// </summary>
        private ApprovalTerms Approval(YamlNode node, string rule)
        {
            if (node is not YamlMappingNode map)
            {
                throw Error(node, $"rule '{rule}': 'approval' must be a mapping (approvers, required, mode, timeout, reuse, max_reuse)");
            }

            IReadOnlyList<string>? groups = null;
            var required = 1;
            var mode = ApprovalMode.Wait;
            var timeout = DefaultApprovalTimeout;
            var reuse = ApprovalReuse.None;
            TimeSpan? maxReuse = null;
            foreach (var (keyNode, value) in map.Children)
            {
                var key = Key(keyNode);
                switch (key)
                {
                    case "approvers": groups = Approvers(value, rule); break;
                    case "required": required = Count(value, rule); break;
                    case "mode": mode = Mode(value); break;
                    case "timeout": timeout = Duration(value, key, MaxApprovalTimeout); break;
                    case "reuse": reuse = Reuse(value); break;
                    case "max_reuse": maxReuse = Duration(value, key, MaxReuseWindow); break;
                    default: throw Error(keyNode, $"rule '{rule}': unknown approval key '{key}' (expected approvers, required, mode, timeout, reuse, max_reuse)");
                }
            }

            if (groups is null)
            {
                throw Error(node, $"rule '{rule}': 'approval' needs 'approvers' (approvers: {{ groups: [...] }})");
            }

            if (reuse == ApprovalReuse.None && maxReuse is not null)
            {
                throw Error(node, $"rule '{rule}': 'max_reuse' needs 'reuse' exact or shape (with reuse none an approval covers one request)");
            }

            return new ApprovalTerms(groups, required, mode, timeout, reuse,
                reuse == ApprovalReuse.None ? TimeSpan.Zero : maxReuse ?? DefaultMaxReuseWindow);
        }

        private IReadOnlyList<string> Approvers(YamlNode node, string rule)
        {
            if (node is not YamlMappingNode map)
            {
                throw Error(node, $"rule '{rule}': 'approvers' must be a mapping (groups: [...])");
            }

            IReadOnlyList<string>? groups = null;
            foreach (var (keyNode, value) in map.Children)
            {
                var key = Key(keyNode);
                if (key != "groups")
                {
                    throw Error(keyNode, $"rule '{rule}': unknown approvers key '{key}' (expected groups)");
                }

                groups = List(value, key);
            }

            if (groups is null || groups.Count == 0 || groups.Any(string.IsNullOrWhiteSpace))
            {
                throw Error(node, $"rule '{rule}': 'approvers' needs at least one group (groups: [...])");
            }

            return groups;
        }

        private int Count(YamlNode node, string rule)
        {
            var text = Scalar(node, "required");
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n is < 1 or > 10)
            {
                throw Error(node, $"rule '{rule}': 'required' must be a whole number from 1 to 10, not '{text}'");
            }

            return n;
        }

        private ApprovalMode Mode(YamlNode node) => Scalar(node, "mode") switch
        {
            "wait" => ApprovalMode.Wait,
            "retry" => ApprovalMode.Retry,
            var other => throw Error(node, $"'mode' must be wait or retry, not '{other}'"),
        };

        private ApprovalReuse Reuse(YamlNode node) => Scalar(node, "reuse") switch
        {
            "none" => ApprovalReuse.None,
            "exact" => ApprovalReuse.Exact,
            "shape" => ApprovalReuse.Shape,
            var other => throw Error(node, $"'reuse' must be none, exact or shape, not '{other}'"),
        };

        /// <summary>A duration as <c>90s</c>, <c>10m</c>, <c>2h</c> or <c>1d</c>; at least one second, at most <paramref name="max"/>.</summary>
        private TimeSpan Duration(YamlNode node, string key, TimeSpan max)
        {
            var text = Scalar(node, key);
            if (TryParseDuration(text, out var duration) && duration >= TimeSpan.FromSeconds(1) && duration <= max)
            {
                return duration;
            }

            throw Error(node, $"'{key}' must be a duration such as 90s, 10m, 2h or 1d, from 1s to {FormatDuration(max)}, not '{text}'");
        }
    }

    /// <summary>Reads <c>90s</c>, <c>10m</c>, <c>2h</c>, <c>1d</c> (a whole number and one unit).</summary>
    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = default;
        if (text.Length < 2 || !long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > 1_000_000)
        {
            return false;
        }

        duration = text[^1] switch
        {
            's' => TimeSpan.FromSeconds(n),
            'm' => TimeSpan.FromMinutes(n),
            'h' => TimeSpan.FromHours(n),
            'd' => TimeSpan.FromDays(n),
            _ => TimeSpan.MinValue,
        };
        return duration != TimeSpan.MinValue;
    }

    /// <summary>The shortest of <c>1d</c>, <c>2h</c>, <c>10m</c>, <c>90s</c> that says <paramref name="duration"/> exactly.</summary>
    public static string FormatDuration(TimeSpan duration) =>
        duration.Ticks % TimeSpan.TicksPerDay == 0 ? $"{(long)duration.TotalDays}d"
        : duration.Ticks % TimeSpan.TicksPerHour == 0 ? $"{(long)duration.TotalHours}h"
        : duration.Ticks % TimeSpan.TicksPerMinute == 0 ? $"{(long)duration.TotalMinutes}m"
        : $"{(long)duration.TotalSeconds}s";
}
