using System.Security.Cryptography;
using System.Text;
using OrleansGate.Policy.Classification;
using OrleansGate.Policy.Model;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace OrleansGate.Policy.Loading;

/// <summary>
/// Reads a policy YAML file into a <see cref="CompiledPolicy"/>. Uses the representation model rather
/// than object binding so every error can name the line it is about, and unknown keys are errors
/// (a misspelt <c>efect: deny</c> must not silently become "no rule").
/// </summary>
public static partial class PolicyLoader
{
    public static CompiledPolicy LoadFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PolicyLoadException(path, 0, $"cannot read the file: {e.Message}");
        }

        return Load(text, path);
    }

    public static CompiledPolicy Load(string yaml, string source)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new PolicyLoadException(source, (int)e.Start.Line, $"not valid YAML: {e.Message}");
        }

        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new PolicyLoadException(source, 1, "expected one YAML document with a mapping at the top");
        }

        var reader = new Reader(source);
        string? version = null;
        var rules = new List<PolicyRule>();
        var guardrails = new List<PolicyRule>();
        (Dictionary<string, PolicyTarget> Postgres, Dictionary<string, HttpTarget> Http, Dictionary<string, SshTarget> Ssh)? targets = null;
        List<KubernetesMask>? kubernetesMasks = null;
        List<PolicyMask>? masks = null;
        List<PolicyLimit>? limits = null;
        var seenRules = false;
        foreach (var (keyNode, value) in root.Children)
        {
            var key = reader.Key(keyNode);
            switch (key)
            {
                case "version":
                    version = reader.Scalar(value, key);
                    break;
                case "rules":
                    seenRules = true;
                    rules.AddRange(reader.Rules(value));
                    break;
                case "guardrails":
                    guardrails.AddRange(reader.Guardrails(value));
                    break;
                case "targets":
                    targets = targets is null ? reader.Targets(value) : throw reader.Error(keyNode, "'targets' given twice");
                    break;
                case "masks":
                    masks = masks is null ? [.. reader.Masks(value)] : throw reader.Error(keyNode, "'masks' given twice");
                    break;
                case "limits":
                    limits = [.. reader.Limits(value)]; // a second 'limits' key is a YAML error already (duplicate key)
                    break;
                case "kubernetes_masks":
                    kubernetesMasks = [.. reader.KubernetesMasks(value)];
                    break;
                default:
                    throw reader.Error(keyNode, $"unknown key '{key}' (expected version, targets, rules, guardrails, masks, limits, kubernetes_masks)");
            }
        }

        if (!seenRules)
        {
            throw new PolicyLoadException(source, (int)root.Start.Line, "missing 'rules'");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var rule in rules.Concat(guardrails))
        {
            if (!names.Add(rule.Name))
            {
                throw new PolicyLoadException(source, rule.Line, $"duplicate rule name '{rule.Name}'");
            }
        }

        return new CompiledPolicy
        {
            Version = string.IsNullOrWhiteSpace(version) ? ContentVersion(yaml) : version,
            Rules = [.. guardrails, .. rules],
            Targets = targets?.Postgres ?? new Dictionary<string, PolicyTarget>(StringComparer.Ordinal),
            HttpTargets = targets?.Http ?? new Dictionary<string, HttpTarget>(StringComparer.Ordinal),
            SshTargets = targets?.Ssh ?? new Dictionary<string, SshTarget>(StringComparer.Ordinal),
            KubernetesMasks = kubernetesMasks ?? [],
            Masks = masks ?? [],
            Limits = limits ?? [],
            Source = source,
        };
    }

    private static string ContentVersion(string yaml) =>
        "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(yaml)))[..12];

    internal static StatementKind ParseKind(string name) => name.ToLowerInvariant() switch
    {
        "read" => StatementKind.Read,
        "write" => StatementKind.Write,
        "ddl" => StatementKind.Ddl,
        "privilege" => StatementKind.Privilege,
        "role_change" or "rolechange" => StatementKind.RoleChange,
        "procedural" => StatementKind.Procedural,
        "transaction" => StatementKind.Transaction,
        "admin" => StatementKind.Admin,
        "session" => StatementKind.Session,
        "lock" => StatementKind.Lock,
        "other" => StatementKind.Other,
        _ => StatementKind.None,
    };
}
