using System.Text.Json.Nodes;

namespace OrleansGate.KubernetesApiStandIn;

/// <summary>A failed request as the API server reports it: a <c>v1 Status</c> body with the HTTP code, so
/// kubectl prints <c>Error from server (NotFound): pods "x" not found</c> as it would against a real cluster.</summary>
public sealed record ApiStatus(int Code, string Reason, string Message, string? Name = null, string? Kind = null)
{
    public JsonObject ToJson()
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = Message,
            ["reason"] = Reason,
        };
        if (Name is not null || Kind is not null)
        {
            var details = new JsonObject();
            if (Name is not null)
            {
                details["name"] = Name;
            }

            if (Kind is not null)
            {
                details["kind"] = Kind;
            }

            status["details"] = details;
        }

        status["code"] = Code;
        return status;
    }

    public static ApiStatus Unauthorized() => new(401, "Unauthorized", "Unauthorized");

    public static ApiStatus NotFound(StandInResource resource, string name) =>
        new(404, "NotFound", $"{resource.QualifiedName} \"{name}\" not found", name, resource.Plural);

    public static ApiStatus PathNotFound() => new(404, "NotFound", "the server could not find the requested resource");

    public static ApiStatus AlreadyExists(StandInResource resource, string name) =>
        new(409, "AlreadyExists", $"{resource.QualifiedName} \"{name}\" already exists", name, resource.Plural);

    public static ApiStatus Conflict(StandInResource resource, string name) =>
        new(409, "Conflict",
            $"Operation cannot be fulfilled on {resource.QualifiedName} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
            name, resource.Plural);

    public static ApiStatus BadRequest(string message) => new(400, "BadRequest", message);

    public static ApiStatus Invalid(StandInResource resource, string name, string message) =>
        new(422, "Invalid", $"{resource.Kind} \"{name}\" is invalid: {message}", name, resource.Kind);

    public static ApiStatus MethodNotAllowed(string method) =>
        new(405, "MethodNotAllowed", $"the server does not allow this method on the requested resource ({method})");

    public static ApiStatus NotAcceptable(string accept) =>
        new(406, "NotAcceptable", $"only the following media types are accepted: application/json, application/json;as=Table;v=v1;g=meta.k8s.io (asked for {accept})");

    public static ApiStatus UnsupportedMediaType(string contentType) =>
        new(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got {contentType})");

    public static ApiStatus Expired(string resourceVersion) =>
        new(410, "Expired", $"too old resource version: {resourceVersion}");

    public static ApiStatus InternalError(string message) => new(500, "InternalError", $"Internal error occurred: {message}");
}
