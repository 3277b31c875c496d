namespace OrleansGate.Policy.Masking;

/// <summary>The data format of a <c>COPY … TO STDOUT</c>.</summary>
public enum CopyFormat
{
    Text,
    Csv,
    Binary,
}
