namespace OrleansGate.KubernetesApiStandIn.Patching;

/// <summary>A patch that cannot be applied to the object; answered with 422 like the real server.</summary>
internal sealed class PatchException(string message) : Exception(message);
