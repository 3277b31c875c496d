namespace OrleansGate.Kubernetes.Masking;

/// <summary>A top-level property whose value holds objects masked by their own kind, not by the enclosing object's paths.</summary>
internal enum NestedRole
{
    None,

    /// <summary><c>items</c> of a list: each element is an object (kind: its own, else the list's kind minus "List").</summary>
    Items,

    /// <summary><c>rows</c> of a <c>meta.k8s.io</c> Table: each row's <c>object</c> is an object of its own kind.</summary>
    Rows,

    /// <summary><c>object</c> of a watch event (<c>{"type":"ADDED","object":{...}}</c>).</summary>
    Object,
}
