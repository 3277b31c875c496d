namespace OrleansGate.Model;

/// <summary>How a statement reached the gateway.</summary>
public enum StatementSource
{
    /// <summary>A simple-protocol <c>Query</c> message (may hold several statements).</summary>
    SimpleQuery = 0,

    /// <summary>An extended-protocol <c>Parse</c> message.</summary>
    Parse = 1,

    /// <summary>The legacy function-call message, which names a function by OID only.</summary>
    FunctionCall = 2,
}
