namespace OrleansGate.Policy.Masking;

/// <summary>A detector configuration that cannot be used; the message names the detector and the problem, for the policy loader to report.</summary>
public sealed class DetectorConfigurationException : Exception
{
    public DetectorConfigurationException()
    {
    }

    public DetectorConfigurationException(string message)
        : base(message)
    {
    }

    public DetectorConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
