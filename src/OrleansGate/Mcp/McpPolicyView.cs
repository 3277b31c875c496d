using OrleansGate.Policy.Evaluation;
using OrleansGate.Policy.Model;

namespace OrleansGate.Host.Mcp;

/// <summary>
/// What a caller's policy could ever allow, for the tool list. A listed tool is still decided per call by the native
/// listener it goes through; the list only spares an agent tools that would always be refused.
/// </summary>
internal static class McpPolicyView
{
    /// <summary>
    /// <see cref="PolicyEvaluator.MayEverAllow"/>, and for the HTTP kinds and SSH also a target of that kind in the
    /// policy: a rule of protocol Any alone does not make <c>kubernetes_request</c> useful where there is no cluster.
    /// </summary>
    public static bool MayEverAllow(CompiledPolicy policy, PolicyIdentity identity, RuleProtocol protocol, string? target = null)
    {
        var hasTargets = protocol switch
        {
            RuleProtocol.Kubernetes => policy.HttpTargets.Values.Any(t => t.Kind == HttpTargetKind.Kubernetes),
            RuleProtocol.Http => policy.HttpTargets.Values.Any(t => t.Kind == HttpTargetKind.Http),
            RuleProtocol.Ssh => policy.SshTargets.Count > 0,
            _ => true, // PostgreSQL targets may also come from the configuration (OrleansGate:Targets)
        };
        return hasTargets && PolicyEvaluator.MayEverAllow(policy, identity, protocol, target);
    }
}
