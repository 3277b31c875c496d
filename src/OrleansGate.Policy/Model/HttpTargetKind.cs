namespace OrleansGate.Policy.Model;

/// <summary>What a target of kind <c>kubernetes</c> or <c>http</c> is: which rules decide its requests.</summary>
public enum HttpTargetKind
{
    /// <summary>A Kubernetes API server: requests are decided by rules with a <c>kubernetes:</c> match.</summary>
    Kubernetes = 0,

    /// <summary>A plain HTTP API: requests are decided by rules with an <c>http:</c> match.</summary>
    Http = 1,
}
