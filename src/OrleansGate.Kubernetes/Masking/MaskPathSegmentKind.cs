namespace OrleansGate.Kubernetes.Masking;

internal enum MaskPathSegmentKind
{
    /// <summary>One named object key.</summary>
    Key,

    /// <summary><c>*</c>: any one key of an object.</summary>
    AnyKey,

    /// <summary><c>[*]</c>: every element of an array.</summary>
    AnyElement,
}
