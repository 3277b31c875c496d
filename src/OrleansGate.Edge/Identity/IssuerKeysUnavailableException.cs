namespace OrleansGate.Edge.Identity;

/// <summary>The signing keys of an issuer could not be obtained; tokens of that issuer are refused until they can.</summary>
public sealed class IssuerKeysUnavailableException : Exception
{
    public IssuerKeysUnavailableException()
        : this("", "signing keys are unavailable", null)
    {
    }

    public IssuerKeysUnavailableException(string message)
        : this("", message, null)
    {
    }

    public IssuerKeysUnavailableException(string message, Exception? innerException)
        : this("", message, innerException)
    {
    }

    public IssuerKeysUnavailableException(string issuer, string message, Exception? innerException)
        : base(message, innerException)
    {
        Issuer = issuer;
    }

    /// <summary>The configured issuer whose keys are unavailable.</summary>
    public string Issuer { get; }
}
