using OrleansGate.Kubernetes.Masking;

namespace OrleansGate.Kubernetes.Tests.Masking;

/// <param name="Output">Everything the masker wrote, flushed or not (the destination was completed after it stopped).</param>
/// <param name="Failure">The masking exception, or null when the masker finished.</param>
internal sealed record MaskRun(string Output, KubernetesMaskResult Result, KubernetesMaskingException? Failure)
{
    public MaskRun Succeeded()
    {
        Assert.Null(Failure);
        return this;
    }

    public MaskRun Failed(KubernetesMaskingError error)
    {
        Assert.NotNull(Failure);
        Assert.Equal(error, Failure.Error);
        return this;
    }
}
