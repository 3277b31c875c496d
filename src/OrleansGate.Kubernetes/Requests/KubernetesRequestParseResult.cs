using System.Diagnostics.CodeAnalysis;

namespace OrleansGate.Kubernetes.Requests;

/// <summary>Either the request's attributes or the reason it is refused; exactly one is set.</summary>
public sealed record KubernetesRequestParseResult
{
    private KubernetesRequestParseResult(KubernetesRequest? request, string? refusal) =>
        (Request, Refusal) = (request, refusal);

    public KubernetesRequest? Request { get; }

    /// <summary>Why the request is refused, worded for the audit log and the agent (user text is quoted and escaped).</summary>
    public string? Refusal { get; }

    [MemberNotNullWhen(true, nameof(Request))]
    [MemberNotNullWhen(false, nameof(Refusal))]
    public bool IsAccepted => Request is not null;

    public static KubernetesRequestParseResult Accepted(KubernetesRequest request) => new(request, null);

    public static KubernetesRequestParseResult Refused(string reason) => new(null, reason);
}
