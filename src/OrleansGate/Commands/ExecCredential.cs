using System.Globalization;
using System.Text.Json.Nodes;

namespace OrleansGate.Host.Commands;

/// <summary>
/// The <c>ExecCredential</c> (<c>client.authentication.k8s.io/v1</c>) that a kubectl exec credential plugin prints:
/// kubectl sends <c>status.token</c> as its bearer token and asks the plugin again after <c>expirationTimestamp</c>.
/// </summary>
public static class ExecCredential
{
    public const string ApiVersion = "client.authentication.k8s.io/v1";

    /// <summary>The JSON document for <paramref name="token"/>; without an expiry kubectl keeps it until a request is refused with 401.</summary>
    public static string Format(string token, DateTimeOffset? expires)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        var status = new JsonObject { ["token"] = token };
        if (expires is { } at)
        {
            // RFC 3339 in UTC, whole seconds: truncating makes kubectl ask for a new token a little early, never late.
            status["expirationTimestamp"] = at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        }

        return new JsonObject
        {
            ["apiVersion"] = ApiVersion,
            ["kind"] = "ExecCredential",
            ["status"] = status,
        }.ToJsonString();
    }
}
