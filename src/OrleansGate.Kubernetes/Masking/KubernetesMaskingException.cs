namespace OrleansGate.Kubernetes.Masking;

/// <summary>
/// The masker stopped before the end of the response. What it wrote before is safe (envelope bytes and whole masked
/// objects only); the object it was on was not written. The caller ends the response: it must not pass the rest through.
/// </summary>
public sealed class KubernetesMaskingException : Exception
{
    public KubernetesMaskingException(KubernetesMaskingError error, string message, Exception? innerException = null)
        : base(message, innerException) => Error = error;

    public KubernetesMaskingError Error { get; }

    internal static KubernetesMaskingException Unmaskable(string message) => new(KubernetesMaskingError.UnmaskableShape, message);
}
