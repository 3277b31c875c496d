namespace OrleansGate.Edge.Masking;

/// <summary>The FORMAT of a COPY ... TO STDOUT.</summary>
public enum CopyFormatKind
{
    Text = 0,
    Csv = 1,
    Binary = 2,
}
