using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using OrleansGate.Model;

namespace OrleansGate.Host.Approvals;

/// <summary>An Approve or Deny click in a Slack message: a <c>block_actions</c> payload, reduced to what a vote needs.</summary>
public sealed record SlackInteraction(string UserId, bool Approve, string ApprovalId)
{
    /// <summary>
    /// Reads the form body <c>payload=&lt;JSON&gt;</c> Slack posts. Call only on a body whose signature was verified:
    /// parsing is work an unauthenticated caller should not get to cause.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> body, out SlackInteraction? interaction, out string error)
    {
        interaction = null;
        var form = QueryHelpers.ParseQuery(Encoding.UTF8.GetString(body));
        if (!form.TryGetValue("payload", out var payloads) || payloads.Count != 1 || string.IsNullOrEmpty(payloads[0]))
        {
            error = "the form has no single 'payload' field";
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(payloads[0]!);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || String(root, "type") != "block_actions")
            {
                error = "the payload is not a block_actions interaction";
                return false;
            }

            var user = root.TryGetProperty("user", out var u) && u.ValueKind == JsonValueKind.Object ? String(u, "id") : null;
            if (string.IsNullOrEmpty(user))
            {
                error = "the payload has no user.id";
                return false;
            }

            if (!root.TryGetProperty("actions", out var actions) || actions.ValueKind != JsonValueKind.Array || actions.GetArrayLength() == 0
                || actions[0].ValueKind != JsonValueKind.Object)
            {
                error = "the payload has no actions";
                return false;
            }

            var approve = String(actions[0], "action_id") switch
            {
                "approve" => true,
                "deny" => (bool?)false,
                _ => null,
            };
            var id = String(actions[0], "value");
            if (approve is null || !ApprovalKeys.IsId(id))
            {
                error = "actions[0] is not an approve or deny of an approval id";
                return false;
            }

            interaction = new SlackInteraction(user, approve.Value, id!);
            error = "";
            return true;
        }
        catch (JsonException)
        {
            error = "the payload is not JSON";
            return false;
        }
    }

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
