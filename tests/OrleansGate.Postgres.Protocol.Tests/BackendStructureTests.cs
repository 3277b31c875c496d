using System.Buffers;

namespace OrleansGate.Postgres.Protocol.Tests;

/// <summary>Upstream descriptions and completions that a client would misread are refused with 08P01.</summary>
public sealed class BackendStructureTests
{
    public static TheoryData<string, byte[], string> Malformed => new()
    {
        { "RowDescription", new WireBuilder().Int16(2).CString("id").Int32(0).Int16(0).Int32(23).Int16(4).Int32(-1).Int16(0).ToArray(), "field count exceeds the message length" },
        { "RowDescription", new WireBuilder().Int16(-1).ToArray(), "field count exceeds the message length" },
        { "RowDescription", new WireBuilder().Int16(1).CString("id").Int32(0).Int16(0).Int32(23).Int16(4).Int32(-1).Int16(7).ToArray(), "unknown format code 7" },
        { "RowDescription", new WireBuilder().Int16(1).Bytes("id"u8.ToArray()).Int32(0).Int16(0).Int32(23).Int16(4).Int32(-1).Int16(0).ToArray(), "too short" },
        { "ParameterDescription", new WireBuilder().Int16(3).Int32(23).ToArray(), "parameter count exceeds the message length" },
        { "CommandComplete", new WireBuilder().CString("SELECT 1").CString("DELETE 9").ToArray(), "unexpected bytes at the end" },
        { "CommandComplete", "SELECT 1"u8.ToArray(), "no terminating NUL" },
        { "CopyResponse", new WireBuilder().Byte(2).Int16(0).ToArray(), "unknown format code 2" },
        { "CopyResponse", new WireBuilder().Byte(0).Int16(1).Int16(1).ToArray(), "a binary column in a text-format COPY" },
        { "CopyResponse", new WireBuilder().Byte(1).Int16(40).Int16(1).ToArray(), "column count exceeds the message length" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_upstream_structure_is_a_protocol_violation(string message, byte[] payload, string expected)
    {
        var sequence = new ReadOnlySequence<byte>(payload);
        var error = Assert.Throws<PgProtocolException>(() => Validate(message, sequence));
        Assert.Equal("08P01", error.SqlState);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_descriptions_are_valid()
    {
        Assert.Equal(0, BackendStructure.ValidateRowDescription(new ReadOnlySequence<byte>(new WireBuilder().Int16(0).ToArray())));
        Assert.Equal(0, BackendStructure.ValidateParameterDescription(new ReadOnlySequence<byte>(new WireBuilder().Int16(0).ToArray())));
        Assert.Equal(0, BackendStructure.ValidateCopyResponse(new ReadOnlySequence<byte>(new WireBuilder().Byte(0).Int16(0).ToArray())));
    }

    private static void Validate(string message, ReadOnlySequence<byte> payload)
    {
        switch (message)
        {
            case "RowDescription": BackendStructure.ValidateRowDescription(payload); break;
            case "ParameterDescription": BackendStructure.ValidateParameterDescription(payload); break;
            case "CommandComplete": BackendStructure.ValidateCommandComplete(payload); break;
            default: BackendStructure.ValidateCopyResponse(payload); break;
        }
    }
}
