using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace OrleansGate.IntegrationTests.Policy;

/// <summary>Extended-protocol frontend messages the shared writer does not have, written by hand for raw sessions.</summary>
internal static class WireMessages
{
    /// <summary>Bind with no parameters and default (text) result formats.</summary>
    public static void Bind(IBufferWriter<byte> w, string portal, string statement) =>
        Message(w, 'B', [.. CString(portal), .. CString(statement), 0, 0, 0, 0, 0, 0]);

    public static void Execute(IBufferWriter<byte> w, string portal) => Message(w, 'E', [.. CString(portal), 0, 0, 0, 0]);

    /// <summary>Execute returning at most <paramref name="maxRows"/> rows (the portal is then suspended).</summary>
    public static void Execute(IBufferWriter<byte> w, string portal, int maxRows) =>
        Message(w, 'E', [.. CString(portal), (byte)(maxRows >> 24), (byte)(maxRows >> 16), (byte)(maxRows >> 8), (byte)maxRows]);

    /// <summary>Bind with no parameters and every result column in binary format.</summary>
    public static void BindBinaryResults(IBufferWriter<byte> w, string portal, string statement) =>
        Message(w, 'B', [.. CString(portal), .. CString(statement), 0, 0, 0, 0, 0, 1, 0, 1]);

    public static void Sync(IBufferWriter<byte> w) => Message(w, 'S', []);

    public static void Flush(IBufferWriter<byte> w) => Message(w, 'H', []);

    public static void CloseStatement(IBufferWriter<byte> w, string statement) => Message(w, 'C', [(byte)'S', .. CString(statement)]);

    public static void ClosePortal(IBufferWriter<byte> w, string portal) => Message(w, 'C', [(byte)'P', .. CString(portal)]);

    private static byte[] CString(string s) => [.. Encoding.UTF8.GetBytes(s), 0];

    private static void Message(IBufferWriter<byte> w, char code, byte[] body)
    {
        var span = w.GetSpan(5 + body.Length);
        span[0] = (byte)code;
        BinaryPrimitives.WriteInt32BigEndian(span[1..], 4 + body.Length); // the length counts itself
        body.CopyTo(span[5..]);
        w.Advance(5 + body.Length);
    }
}
