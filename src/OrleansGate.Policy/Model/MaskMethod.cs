namespace OrleansGate.Policy.Model;

/// <summary>How a mask replaces a value.</summary>
public enum MaskMethod
{
    /// <summary>A fixed marker.</summary>
    Redact = 0,

    /// <summary>Keep the last N characters, replace the rest.</summary>
    Partial = 1,

    /// <summary>A keyed HMAC of the value: the same value always masks the same way, so joins and group-bys still work.</summary>
    Hash = 2,

    /// <summary>NULL.</summary>
    Null = 3,
}
