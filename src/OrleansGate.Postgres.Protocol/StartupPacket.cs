using System.Collections.ObjectModel;

namespace OrleansGate.Postgres.Protocol;

/// <summary>A packet read before the session starts: startup, SSL/GSS encryption request or cancel request.</summary>
public sealed class StartupPacket
{
    private StartupPacket(
        StartupPacketKind kind,
        int protocolVersion,
        IReadOnlyDictionary<string, string> parameters,
        int cancelProcessId,
        int cancelSecretKey)
    {
        Kind = kind;
        ProtocolVersion = protocolVersion;
        Parameters = parameters;
        CancelProcessId = cancelProcessId;
        CancelSecretKey = cancelSecretKey;
    }

    public StartupPacketKind Kind { get; }

    /// <summary>
    /// The Int32 after the length: the protocol version of a StartupMessage (major in the high 16 bits,
    /// 196608 for 3.0), or the request code of the other kinds (80877103 for SSLRequest).
    /// </summary>
    public int ProtocolVersion { get; }

    /// <summary>The protocol major version (3) of a StartupMessage.</summary>
    public int MajorVersion => ProtocolVersion >>> 16;

    /// <summary>The protocol minor version; above 0 the caller may answer with NegotiateProtocolVersion.</summary>
    public int MinorVersion => ProtocolVersion & 0xFFFF;

    /// <summary>The startup parameters (user, database, application_name, options, ...); empty for the other kinds.</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; }

    /// <summary>The process id of the session to cancel (CancelRequest only).</summary>
    public int CancelProcessId { get; }

    /// <summary>The secret key of the session to cancel (CancelRequest only).</summary>
    public int CancelSecretKey { get; }

    internal static StartupPacket Startup(int protocolVersion, IReadOnlyDictionary<string, string> parameters) =>
        new(StartupPacketKind.StartupMessage, protocolVersion, parameters, 0, 0);

    internal static StartupPacket Request(StartupPacketKind kind, int code) =>
        new(kind, code, ReadOnlyDictionary<string, string>.Empty, 0, 0);

    internal static StartupPacket Cancel(int code, int processId, int secretKey) =>
        new(StartupPacketKind.CancelRequest, code, ReadOnlyDictionary<string, string>.Empty, processId, secretKey);
}
