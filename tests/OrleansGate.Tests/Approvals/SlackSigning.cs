using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace OrleansGate.Tests.Approvals;

/// <summary>Signs as Slack does, written from Slack's description rather than from the gateway's verifier.</summary>
internal static class SlackSigning
{
    public static string Sign(string secret, long timestamp, byte[] body)
    {
        var basestring = Encoding.UTF8.GetBytes("v0:" + timestamp.ToString(CultureInfo.InvariantCulture) + ":").Concat(body).ToArray();
        return "v0=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), basestring));
    }
}
