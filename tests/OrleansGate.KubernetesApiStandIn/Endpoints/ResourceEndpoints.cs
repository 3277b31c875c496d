using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using OrleansGate.KubernetesApiStandIn.Responses;
using OrleansGate.KubernetesApiStandIn.Store;

namespace OrleansGate.KubernetesApiStandIn.Endpoints;

/// <summary>
/// The verbs on a resource's collection and objects: list, watch, get, create, update, patch, delete,
/// deletecollection. Reads answer in the form the Accept header asks for (<see cref="ResponseFormat"/>).
/// List ignores <c>limit</c> and <c>continue</c>: every match comes in one page, with no continue token.
/// </summary>
internal sealed partial class ResourceEndpoints(ObjectStore store, TableConverter tables, TimeProvider time, CancellationToken stopping)
{
    public Task HandleAsync(HttpContext context, ResourcePath path)
    {
        var method = context.Request.Method;
        if (path.Name is null)
        {
            return method switch
            {
                "GET" when JsonResponse.Flag(context.Request, "watch") => WatchAsync(context, path),
                "GET" => ListAsync(context, path),
                "POST" when path.Namespace is not null || !path.Resource.Namespaced => CreateAsync(context, path),
                "DELETE" => DeleteCollectionAsync(context, path),
                _ => throw new ApiStatusException(ApiStatus.MethodNotAllowed(method)),
            };
        }

        return method switch
        {
            "GET" => GetAsync(context, path),
            "PUT" => UpdateAsync(context, path),
            "PATCH" => PatchAsync(context, path),
            "DELETE" => DeleteAsync(context, path),
            _ => throw new ApiStatusException(ApiStatus.MethodNotAllowed(method)),
        };
    }

    private async Task ListAsync(HttpContext context, ResourcePath path)
    {
        var format = ResponseFormat.Negotiate(context.Request.Headers.Accept);
        var (items, resourceVersion) = store.List(path.Resource, path.Namespace, SelectorOf(context.Request));
        var body = format.IsTable
            ? tables.ToTable(path.Resource, items, resourceVersion, format, context.Request.Query["includeObject"])
            : new JsonObject
            {
                ["kind"] = path.Resource.ListKind,
                ["apiVersion"] = path.Resource.ApiVersion,
                ["metadata"] = new JsonObject { ["resourceVersion"] = resourceVersion },
                ["items"] = new JsonArray(items.Select(i => (JsonNode)i).ToArray()),
            };
        await JsonResponse.WriteAsync(context.Response, 200, body, format.ContentType).ConfigureAwait(false);
    }

    private async Task GetAsync(HttpContext context, ResourcePath path)
    {
        var format = ResponseFormat.Negotiate(context.Request.Headers.Accept);
        var found = store.Get(path.Resource, path.Namespace, path.Name!);
        var body = format.IsTable
            ? tables.ToTable(path.Resource, [found], found["metadata"]!["resourceVersion"]!.GetValue<string>(), format, context.Request.Query["includeObject"])
            : found;
        await JsonResponse.WriteAsync(context.Response, 200, body, format.ContentType).ConfigureAwait(false);
    }

    private static Selector SelectorOf(HttpRequest request) =>
        Selector.ParseLabels(request.Query["labelSelector"]).And(Selector.ParseFields(request.Query["fieldSelector"]));
}
