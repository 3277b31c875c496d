namespace OrleansGate.Postgres.Protocol;

/// <summary>Which code bytes a client may send, checked on the first byte so an unknown type never waits for its body.</summary>
public static class FrontendMessageCodes
{
    /// <summary>True for the codes a client sends after authentication (<see cref="FrontendMessageCode"/> minus PasswordMessage).</summary>
    /// <remarks>
    /// A second StartupMessage starts with the high byte of its length (0x00), so it is refused here instead of
    /// being framed as a message whose length is made of the protocol version.
    /// </remarks>
    public static bool IsAfterAuthentication(byte code) => (FrontendMessageCode)code switch
    {
        FrontendMessageCode.Bind or FrontendMessageCode.Close or FrontendMessageCode.CopyData
            or FrontendMessageCode.CopyDone or FrontendMessageCode.CopyFail or FrontendMessageCode.Describe
            or FrontendMessageCode.Execute or FrontendMessageCode.Flush or FrontendMessageCode.FunctionCall
            or FrontendMessageCode.Parse or FrontendMessageCode.Query or FrontendMessageCode.Sync
            or FrontendMessageCode.Terminate => true,
        _ => false,
    };
}
