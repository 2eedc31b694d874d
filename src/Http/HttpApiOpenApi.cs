using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.DependencyInjection;

namespace LlamaOrleans.Http;

/// <summary>The OpenAPI document of the API, the same whatever address it is fetched from (no servers list), so a copy can be checked in.</summary>
internal static class HttpApiOpenApi
{
    public const string DocumentName = "v1";

    public static IServiceCollection AddLlamaOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(DocumentName, options => options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Llama.Orleans HTTP API";
            document.Info.Version = "v1";
            document.Info.Description =
                "OpenAI-compatible chat and text completions, models, server-side conversations with warm KV caches, and usage, " +
                "served by a Llama.Orleans silo. Errors use OpenAI's shape {\"error\":{\"message\",\"type\",\"param\",\"code\"}}.";
            document.Servers?.Clear();
            return Task.CompletedTask;
        }));
}
