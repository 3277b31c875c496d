namespace OrleansGate.Edge.Http;

/// <summary>The opcodes of RFC 6455 §5.2; the others are reserved, and a frame with one is malformed here.</summary>
public enum WebSocketOpcode : byte
{
    Continuation = 0x0,
    Text = 0x1,
    Binary = 0x2,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA,
}
