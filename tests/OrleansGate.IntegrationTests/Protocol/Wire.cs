using System.Buffers.Binary;
using System.Text;

namespace OrleansGate.IntegrationTests.Protocol;

/// <summary>Builds raw protocol bytes field by field, for messages no driver would send.</summary>
internal static class Wire
{
    public static byte[] Int16(short value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteInt16BigEndian(bytes, value);
        return bytes;
    }

    public static byte[] Int32(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }

    public static byte[] CString(string value) => [.. Encoding.UTF8.GetBytes(value), 0];

    /// <summary>Code, a length that counts itself and the parts, then the parts.</summary>
    public static byte[] Message(char code, params byte[][] parts)
    {
        var body = parts.SelectMany(p => p).ToArray();
        return [(byte)code, .. Int32(body.Length + 4), .. body];
    }

    /// <summary>Code and a length field only: what a peer announcing <paramref name="length"/> bytes sends first.</summary>
    public static byte[] Header(char code, int length) => [(byte)code, .. Int32(length)];

    /// <summary>A startup-phase packet: length (counting itself), then the parts.</summary>
    public static byte[] Packet(params byte[][] parts)
    {
        var body = parts.SelectMany(p => p).ToArray();
        return [.. Int32(body.Length + 4), .. body];
    }

    public static byte[] Startup(params string[] pairs) =>
        Packet(Int32(3 << 16), [.. pairs.SelectMany(CString), 0]);

    /// <summary>The fields of an ErrorResponse/NoticeResponse payload by code.</summary>
    public static Dictionary<char, string> Fields(byte[] payload)
    {
        var fields = new Dictionary<char, string>();
        var i = 0;
        while (i < payload.Length && payload[i] != 0)
        {
            var end = Array.IndexOf(payload, (byte)0, i + 1);
            fields[(char)payload[i]] = Encoding.UTF8.GetString(payload, i + 1, end - i - 1);
            i = end + 1;
        }

        return fields;
    }
}
