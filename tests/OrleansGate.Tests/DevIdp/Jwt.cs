using System.Buffers.Text;
using System.Text.Json.Nodes;

namespace OrleansGate.Tests.DevIdp;

/// <summary>Reads a compact JWS without verifying it, to inspect what the IdP put in it.</summary>
internal static class Jwt
{
    public static JsonObject Header(string token) => Decode(token.Split('.')[0]);

    public static JsonObject Claims(string token) => Decode(token.Split('.')[1]);

    private static JsonObject Decode(string segment) => JsonNode.Parse(Base64Url.DecodeFromChars(segment))!.AsObject();
}
