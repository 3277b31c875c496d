using System.Buffers.Binary;
using System.Text;

namespace OrleansGate.Postgres.Protocol.Tests;

/// <summary>Writes test messages field by field, independently of the writers under test.</summary>
internal sealed class WireBuilder
{
    private readonly List<byte> _bytes = [];

    public WireBuilder Byte(byte value)
    {
        _bytes.Add(value);
        return this;
    }

    public WireBuilder Int16(short value)
    {
        var buffer = new byte[2];
        BinaryPrimitives.WriteInt16BigEndian(buffer, value);
        _bytes.AddRange(buffer);
        return this;
    }

    public WireBuilder Int32(int value)
    {
        var buffer = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(buffer, value);
        _bytes.AddRange(buffer);
        return this;
    }

    public WireBuilder CString(string value)
    {
        _bytes.AddRange(Encoding.UTF8.GetBytes(value));
        _bytes.Add(0);
        return this;
    }

    public WireBuilder Bytes(params byte[] value)
    {
        _bytes.AddRange(value);
        return this;
    }

    public byte[] ToArray() => [.. _bytes];

    /// <summary>The bytes so far as the payload of a message: code, length (counting itself), payload.</summary>
    public byte[] ToMessage(char code) =>
        new WireBuilder().Byte((byte)code).Int32(_bytes.Count + 4).Bytes([.. _bytes]).ToArray();

    /// <summary>The bytes so far as the body of a startup packet: length (counting itself), body.</summary>
    public byte[] ToStartupPacket() =>
        new WireBuilder().Int32(_bytes.Count + 4).Bytes([.. _bytes]).ToArray();
}
