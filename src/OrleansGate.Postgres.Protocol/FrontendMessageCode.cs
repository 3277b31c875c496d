namespace OrleansGate.Postgres.Protocol;

/// <summary>The code byte of a message sent by the client after startup.</summary>
/// <remarks>Values are the characters used on the wire, so a code reads the same in a packet dump.</remarks>
public enum FrontendMessageCode : byte
{
    Bind = (byte)'B',
    Close = (byte)'C',
    CopyData = (byte)'d',
    CopyDone = (byte)'c',
    CopyFail = (byte)'f',
    Describe = (byte)'D',
    Execute = (byte)'E',
    Flush = (byte)'H',
    FunctionCall = (byte)'F',
    Parse = (byte)'P',

    /// <summary>Also carries GSSAPI, SSPI and SASL responses; the authentication step says which.</summary>
    PasswordMessage = (byte)'p',
    Query = (byte)'Q',
    Sync = (byte)'S',
    Terminate = (byte)'X',
}
