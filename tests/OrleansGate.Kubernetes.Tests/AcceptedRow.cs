using Xunit.Abstractions;

namespace OrleansGate.Kubernetes.Tests;

/// <summary>One accepted request and the attributes it must get; serializable so that each row is its own test case.</summary>
public sealed class AcceptedRow : IXunitSerializable
{
    [Obsolete("For xUnit deserialization only.")]
    public AcceptedRow()
    {
    }

    public AcceptedRow(string method, string target, KubernetesRequest expected) =>
        (Method, Target, Expected) = (method, target, expected);

    public string Method { get; private set; } = "";

    public string Target { get; private set; } = "";

    public KubernetesRequest Expected { get; private set; } = null!;

    public void Serialize(IXunitSerializationInfo info)
    {
        info.AddValue(nameof(Method), Method);
        info.AddValue(nameof(Target), Target);
        info.AddValue(nameof(Expected.IsResourceRequest), Expected.IsResourceRequest);
        info.AddValue(nameof(Expected.Verb), Expected.Verb);
        info.AddValue(nameof(Expected.Path), Expected.Path);
        info.AddValue(nameof(Expected.ApiPrefix), Expected.ApiPrefix);
        info.AddValue(nameof(Expected.ApiGroup), Expected.ApiGroup);
        info.AddValue(nameof(Expected.ApiVersion), Expected.ApiVersion);
        info.AddValue(nameof(Expected.Namespace), Expected.Namespace);
        info.AddValue(nameof(Expected.Resource), Expected.Resource);
        info.AddValue(nameof(Expected.Subresource), Expected.Subresource);
        info.AddValue(nameof(Expected.Name), Expected.Name);
    }

    public void Deserialize(IXunitSerializationInfo info)
    {
        Method = info.GetValue<string>(nameof(Method));
        Target = info.GetValue<string>(nameof(Target));
        Expected = new KubernetesRequest
        {
            IsResourceRequest = info.GetValue<bool>(nameof(Expected.IsResourceRequest)),
            Verb = info.GetValue<string>(nameof(Expected.Verb)),
            Path = info.GetValue<string>(nameof(Expected.Path)),
            ApiPrefix = info.GetValue<string>(nameof(Expected.ApiPrefix)),
            ApiGroup = info.GetValue<string>(nameof(Expected.ApiGroup)),
            ApiVersion = info.GetValue<string>(nameof(Expected.ApiVersion)),
            Namespace = info.GetValue<string>(nameof(Expected.Namespace)),
            Resource = info.GetValue<string>(nameof(Expected.Resource)),
            Subresource = info.GetValue<string>(nameof(Expected.Subresource)),
            Name = info.GetValue<string>(nameof(Expected.Name)),
        };
    }

    /// <summary>What the test explorer shows: the case and the expected outcome.</summary>
    public override string ToString() => Expected.IsResourceRequest
        ? $"{Method} {Target} => {Expected.Verb} {Expected.ApiGroup}/{Expected.ApiVersion} ns={Expected.Namespace} {Expected.Resource}/{Expected.Name}/{Expected.Subresource}"
        : $"{Method} {Target} => non-resource {Expected.Verb} {Expected.Path}";
}
