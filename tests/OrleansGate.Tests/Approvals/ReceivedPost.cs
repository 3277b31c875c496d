using System.Text;
using System.Text.Json;

namespace OrleansGate.Tests.Approvals;

/// <summary>One post a <see cref="WebhookReceiver"/> took, and the status it answered.</summary>
internal sealed record ReceivedPost(int Number, string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body, int Status)
{
    public string Text => Encoding.UTF8.GetString(Body);

    public JsonDocument Json() => JsonDocument.Parse(Body);
}
