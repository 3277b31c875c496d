using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using OrleansGate.Grains.Approvals.Notifications;
using OrleansGate.Model;

namespace OrleansGate.Host.Approvals;

/// <summary>
/// <c>POST /api/slack/interactive</c>: the Approve and Deny buttons of the Slack messages, counted as votes of the
/// approver each Slack user is mapped to (<see cref="SlackNotificationOptions.Users"/>).
/// </summary>
/// <remarks>
/// <list type="number">
/// <item>The raw body is read (at most <see cref="MaxBodyBytes"/>) and its signature verified before anything is parsed: 401 otherwise.</item>
/// <item>The <c>block_actions</c> payload is parsed, its approval id checked for shape: 400 otherwise.</item>
/// <item>The Slack user is mapped to an approver by configuration: 403 when unmapped, and nothing changes.</item>
/// <item>The vote goes to the approval grain, which checks the approver's groups and self-approval like any other vote;
/// the answer (200) carries its message.</item>
/// </list>
/// </remarks>
public static partial class SlackInteractiveEndpoint
{
    public const string Path = "/api/slack/interactive";

    /// <summary>A block_actions payload is a few KiB; anything much larger is not Slack's.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    /// <summary>
    /// Maps the endpoint when a signing secret is configured; does nothing otherwise. The secret and the user map are
    /// read here, once: changing them needs a restart.
    /// </summary>
    public static IEndpointRouteBuilder MapSlackInteractive(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var slack = app.ServiceProvider.GetRequiredService<IOptions<ApprovalNotificationOptions>>().Value.Slack;
        if (!slack.AcceptsVotes)
        {
            return app;
        }

        var secret = Encoding.UTF8.GetBytes(
            CredentialReference.Read(slack.SigningSecretEnv, slack.SigningSecretFile, ApprovalNotificationOptions.Section + ":Slack:SigningSecret"));
        var approvers = slack.Users.ToDictionary(u => u.Key, u => u.Value.ToIdentity(), StringComparer.Ordinal);

        // Slack authenticates by signature, not by a token of ours.
        app.MapPost(Path, (HttpContext context, TimeProvider time, ILoggerFactory logs) => HandleAsync(context, time, logs, secret, approvers))
            .AllowAnonymous();
        return app;
    }

    private static async Task<IResult> HandleAsync(
        HttpContext context, TimeProvider time, ILoggerFactory logs, byte[] secret, Dictionary<string, AgentIdentity> approvers)
    {
        var services = context.RequestServices;
        var logger = logs.CreateLogger(typeof(SlackInteractiveEndpoint).FullName!);
        var body = await ReadBodyAsync(context.Request, context.RequestAborted).ConfigureAwait(false);
        if (body is null)
        {
            return Answer(StatusCodes.Status413PayloadTooLarge, "error", $"the body exceeds {MaxBodyBytes} bytes");
        }

        var check = SlackSignature.Verify(
            context.Request.Headers[SlackSignature.TimestampHeader], context.Request.Headers[SlackSignature.SignatureHeader],
            body, secret, time.GetUtcNow());
        if (check != SlackSignatureResult.Valid)
        {
            LogRefused(logger, SlackSignature.Describe(check));
            return Answer(StatusCodes.Status401Unauthorized, "error", SlackSignature.Describe(check));
        }

        if (!SlackInteraction.TryParse(body, out var interaction, out var error))
        {
            LogRefused(logger, error);
            return Answer(StatusCodes.Status400BadRequest, "error", error);
        }

        if (!approvers.TryGetValue(interaction!.UserId, out var approver))
        {
            LogUnmappedUser(logger, interaction.UserId, interaction.ApprovalId);
            return Answer(StatusCodes.Status403Forbidden, "error", $"Slack user {interaction.UserId} is not mapped to an approver of this gateway");
        }

        var voter = services.GetService<IApprovalVoter>() ?? new GrainApprovalVoter(services.GetRequiredService<IGrainFactory>());
        ApprovalVoteResult result;
        try
        {
            result = await voter.VoteAsync(interaction.ApprovalId, new ApprovalVote(approver, interaction.Approve, "via Slack", TimeSpan.Zero, "slack"))
                .ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogVoteFailed(logger, interaction.ApprovalId, e.GetType().Name);
            return Answer(StatusCodes.Status503ServiceUnavailable, "error", "the approval could not be reached; try again");
        }

        LogVoted(logger, interaction.UserId, approver.Subject, interaction.ApprovalId, interaction.Approve, result.Outcome);
        return Answer(StatusCodes.Status200OK, "message", result.Message, result.Outcome.ToString());
    }

    /// <summary>The raw body, or null when it is larger than <see cref="MaxBodyBytes"/> (read no further than that).</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            return null;
        }

        using var body = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            if (body.Length + read > MaxBodyBytes)
            {
                return null;
            }

            body.Write(chunk, 0, read);
        }

        return body.ToArray();
    }

    private static IResult Answer(int status, string key, string text, string? outcome = null)
    {
        var json = new JsonObject { [key] = text };
        if (outcome is not null)
        {
            json["outcome"] = outcome;
        }

        return Results.Text(json.ToJsonString(), "application/json; charset=utf-8", statusCode: status);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Slack interactive request refused: {Reason}")]
    private static partial void LogRefused(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Slack user {SlackUser} is not mapped to an approver: vote on {ApprovalId} refused")]
    private static partial void LogUnmappedUser(ILogger logger, string slackUser, string approvalId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Slack vote on {ApprovalId} could not reach the approval: {Failure}")]
    private static partial void LogVoteFailed(ILogger logger, string approvalId, string failure);

    [LoggerMessage(Level = LogLevel.Information, Message = "Slack user {SlackUser} voted as {Approver} on {ApprovalId} (approve: {Approve}): {Outcome}")]
    private static partial void LogVoted(ILogger logger, string slackUser, string approver, string approvalId, bool approve, ApprovalVoteOutcome outcome);
}
