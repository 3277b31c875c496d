using System.Text.Json;
using OrleansGate.Grains;
using OrleansGate.Model;
using OrleansGate.Policy.Loading;

namespace OrleansGate.Host.Approvals;

/// <summary>
/// The approvers' HTTP API on the node's HTTP listener: <c>GET /api/approvals</c> (what the caller may decide, pending),
/// <c>GET /api/approvals/{id}</c>, <c>POST /api/approvals/{id}/approve</c> and <c>/deny</c> with
/// <c>{"comment": "...", "reuse": "30m"}</c>. Every call carries the approver's own Bearer token; any node answers, since
/// the approval lives in its grain.
/// </summary>
/// <remarks>
/// Status codes: 401 no or refused token; 403 not an approver of it, or the agent itself; 404 no such approval; 409
/// already decided or already voted; 400 a malformed id or body; 503 the cluster or the audit could not take it. Each
/// refusal says why, and changes nothing.
/// </remarks>
public static class ApprovalsApi
{
    /// <summary>Largest request body read (a comment and a window).</summary>
    private const int MaxBody = 16 * 1024;

    public static IServiceCollection AddApprovalsApi(this IServiceCollection services, IConfiguration approvals)
    {
        ArgumentNullException.ThrowIfNull(approvals);
        services.AddOptions<ApproverIdentityOptions>().Configure(o => Edge.Identity.IdentityServiceCollectionExtensions.Bind(approvals.GetSection("Identity"), o.Identity));
        services.AddHttpClient(ApproverAuthenticator.HttpClientName)
            .ConfigureHttpClient(client =>
            {
                client.Timeout = TimeSpan.FromSeconds(10);
                client.MaxResponseContentBufferSize = 1024 * 1024;
            })
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) });
        services.AddSingleton<ApproverAuthenticator>();
        return services;
    }

    public static IEndpointRouteBuilder MapApprovalsApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/api/approvals", ListAsync);
        app.MapGet("/api/approvals/{id}", ShowAsync);
        app.MapPost("/api/approvals/{id}/approve", (HttpContext c, string id, IGrainFactory g, ApproverAuthenticator a, TimeProvider t) => VoteAsync(c, id, approve: true, g, a, t));
        app.MapPost("/api/approvals/{id}/deny", (HttpContext c, string id, IGrainFactory g, ApproverAuthenticator a, TimeProvider t) => VoteAsync(c, id, approve: false, g, a, t));
        return app;
    }

    private static async Task<IResult> ListAsync(HttpContext context, IGrainFactory grains, ApproverAuthenticator auth, TimeProvider time)
    {
        var (approver, problem) = await auth.AuthenticateAsync(context);
        if (approver is null)
        {
            return Unauthorized(problem!);
        }

        try
        {
            var ids = await grains.GetGrain<IApprovalDirectoryGrain>(ApprovalKeys.Directory).List();
            var views = await Task.WhenAll(ids.Select(id => grains.GetGrain<IApprovalGrain>(id).Get()));
            var now = time.GetUtcNow();
            return Json(w =>
            {
                w.WriteStartObject();
                w.WriteStartArray("approvals");
                foreach (var view in views.Where(v => v is { Status: ApprovalStatus.Pending } && MayDecide(approver, v)).OrderBy(v => v!.RequestedAt))
                {
                    ApprovalJson.Write(w, view!, now);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            });
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Problem(StatusCodes.Status503ServiceUnavailable, "cluster_unavailable", $"the approvals could not be read: {e.Message}");
        }
    }

    private static async Task<IResult> ShowAsync(HttpContext context, string id, IGrainFactory grains, ApproverAuthenticator auth, TimeProvider time)
    {
        var (approver, problem) = await auth.AuthenticateAsync(context);
        if (approver is null)
        {
            return Unauthorized(problem!);
        }

        if (!ApprovalKeys.IsId(id))
        {
            return Problem(StatusCodes.Status400BadRequest, "bad_id", "not an approval id (apr- and 20 hex digits)");
        }

        var view = await grains.GetGrain<IApprovalGrain>(id).Get();
        if (view is null)
        {
            return Problem(StatusCodes.Status404NotFound, "not_found", $"no approval {id}");
        }

        if (!MayDecide(approver, view))
        {
            return Problem(StatusCodes.Status403Forbidden, "not_an_approver",
                $"'{approver.Subject}' is in none of the approver groups of rule '{view.Request.Rule}'");
        }

        var now = time.GetUtcNow();
        return Json(w => ApprovalJson.Write(w, view, now));
    }

    private static async Task<IResult> VoteAsync(HttpContext context, string id, bool approve, IGrainFactory grains, ApproverAuthenticator auth, TimeProvider time)
    {
        var (approver, problem) = await auth.AuthenticateAsync(context);
        if (approver is null)
        {
            return Unauthorized(problem!);
        }

        if (!ApprovalKeys.IsId(id))
        {
            return Problem(StatusCodes.Status400BadRequest, "bad_id", "not an approval id (apr- and 20 hex digits)");
        }

        var (comment, reuse, bodyProblem) = await ReadBodyAsync(context.Request);
        if (bodyProblem is not null)
        {
            return Problem(StatusCodes.Status400BadRequest, "bad_request", bodyProblem);
        }

        ApprovalVoteResult result;
        try
        {
            result = await grains.GetGrain<IApprovalGrain>(id).Vote(new ApprovalVote(approver, approve, comment, reuse, "api"));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Problem(StatusCodes.Status503ServiceUnavailable, "cluster_unavailable", $"the vote could not be taken; nothing changed: {e.Message}");
        }

        var status = result.Outcome switch
        {
            ApprovalVoteOutcome.Counted or ApprovalVoteOutcome.Decided => StatusCodes.Status200OK,
            ApprovalVoteOutcome.NotFound => StatusCodes.Status404NotFound,
            ApprovalVoteOutcome.NotAnApprover or ApprovalVoteOutcome.SelfApproval => StatusCodes.Status403Forbidden,
            ApprovalVoteOutcome.AlreadyDecided or ApprovalVoteOutcome.AlreadyVoted => StatusCodes.Status409Conflict,
            _ => StatusCodes.Status503ServiceUnavailable,
        };
        var now = time.GetUtcNow();
        return Json(w =>
        {
            w.WriteStartObject();
            w.WriteString("outcome", Snake(result.Outcome.ToString()));
            w.WriteString("message", result.Message);
            if (result.Approval is { } view && MayDecide(approver, view))
            {
                w.WritePropertyName("approval");
                ApprovalJson.Write(w, view, now);
            }

            w.WriteEndObject();
        }, status);
    }

    /// <summary>The body: optional; <c>comment</c> (text) and <c>reuse</c> (a duration such as 30m).</summary>
    private static async Task<(string? Comment, TimeSpan Reuse, string? Problem)> ReadBodyAsync(HttpRequest request)
    {
        if (request.ContentLength is 0 || (request.ContentLength is null && !request.Headers.TransferEncoding.Any()))
        {
            return (null, TimeSpan.Zero, null);
        }

        if (request.ContentLength > MaxBody)
        {
            return (null, TimeSpan.Zero, $"the body is larger than {MaxBody} bytes");
        }

        try
        {
            using var reader = new StreamReader(request.Body);
            var text = await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
            if (text.Length > MaxBody)
            {
                return (null, TimeSpan.Zero, $"the body is larger than {MaxBody} bytes");
            }

            if (string.IsNullOrWhiteSpace(text))
            {
                return (null, TimeSpan.Zero, null);
            }

            using var json = JsonDocument.Parse(text);
            if (json.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, TimeSpan.Zero, "the body must be a JSON object: {\"comment\": \"...\", \"reuse\": \"30m\"}");
            }

            string? comment = null;
            var reuse = TimeSpan.Zero;
            foreach (var property in json.RootElement.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "comment" when property.Value.ValueKind is JsonValueKind.String or JsonValueKind.Null:
                        comment = property.Value.GetString();
                        break;
                    case "reuse" when property.Value.ValueKind == JsonValueKind.String:
                        if (!PolicyLoader.TryParseDuration(property.Value.GetString()!, out reuse))
                        {
                            return (null, TimeSpan.Zero, "'reuse' must be a duration such as 90s, 30m or 2h");
                        }

                        break;
                    default:
                        return (null, TimeSpan.Zero, $"unexpected field '{property.Name}' (expected comment, reuse)");
                }
            }

            return (comment, reuse, null);
        }
        catch (JsonException)
        {
            return (null, TimeSpan.Zero, "the body is not valid JSON");
        }
    }

    /// <summary>Whether <paramref name="approver"/> is in one of the rule's approver groups (listing and showing; the grain decides votes).</summary>
    private static bool MayDecide(AgentIdentity approver, ApprovalView? view) =>
        view is not null && approver.Groups.Any(g => view.Request.Terms.ApproverGroups.Contains(g, StringComparer.Ordinal));

    private static IResult Unauthorized(string message) => new JsonResult(
        w =>
        {
            w.WriteStartObject();
            w.WriteString("error", "unauthorized");
            w.WriteString("message", message);
            w.WriteEndObject();
        },
        StatusCodes.Status401Unauthorized,
        "Bearer");

    private static IResult Problem(int status, string error, string message) => Json(w =>
    {
        w.WriteStartObject();
        w.WriteString("error", error);
        w.WriteString("message", message);
        w.WriteEndObject();
    }, status);

    private static IResult Json(Action<Utf8JsonWriter> write, int status = StatusCodes.Status200OK) => new JsonResult(write, status, null);

    private static string Snake(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    /// <summary>A JSON body written by hand (no reflection), with an optional WWW-Authenticate challenge.</summary>
    private sealed class JsonResult(Action<Utf8JsonWriter> write, int status, string? challenge) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = status;
            httpContext.Response.ContentType = "application/json; charset=utf-8";
            httpContext.Response.Headers.CacheControl = "no-store";
            if (challenge is not null)
            {
                httpContext.Response.Headers.WWWAuthenticate = challenge;
            }

            await using var writer = new Utf8JsonWriter(httpContext.Response.Body, new JsonWriterOptions { Indented = true });
            write(writer);
            await writer.FlushAsync(httpContext.RequestAborted);
        }
    }
}
