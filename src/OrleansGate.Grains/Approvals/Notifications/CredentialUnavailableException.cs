namespace OrleansGate.Grains.Approvals.Notifications;

/// <summary>A credential named by reference (environment variable or file) cannot be read; the message names the reference, never a value.</summary>
public sealed class CredentialUnavailableException : InvalidOperationException
{
    public CredentialUnavailableException()
    {
    }

    public CredentialUnavailableException(string message)
        : base(message)
    {
    }

    public CredentialUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
