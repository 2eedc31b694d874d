using LlamaOrleans.Http.Auth;
using LlamaOrleans.Http.Endpoints;
using LlamaOrleans.Http.Errors;
using LlamaOrleans.Http.Health;
using LlamaOrleans.Http.Json;
using LlamaOrleans.Http.Options;
using LlamaOrleans.Http.Streaming;
using LlamaOrleans.Http.WebUi;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenTelemetry.Trace;

namespace LlamaOrleans.Http;

/// <summary>The API's middleware and endpoints.</summary>
public static class HttpApiEndpointExtensions
{
    /// <summary>
    /// Adds, in order: OpenAI-shaped errors for failures and for bare 4xx answers (unknown paths, wrong methods), /metrics
    /// on its own listener when <see cref="MetricsOptions.Urls"/> is set, routing, the API key check on every /v1
    /// endpoint, per-key rate limits; then maps /healthz, /readyz, /metrics (on the API's ports when it has no listener
    /// of its own), /openapi.json, the /v1 API and the chat page at /.
    /// </summary>
    public static WebApplication MapLlamaHttpApi(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseMiddleware<ErrorHandlingMiddleware>();
        app.UseStatusCodePages(context => ApiErrorWriter.WriteAsync(context.HttpContext, BareStatus(context.HttpContext)));
        var metricsPorts = app.Services.GetRequiredService<IOptions<HttpApiOptions>>().Value.Metrics.UrlList
            .Select(url => BindingAddress.Parse(url).Port).ToHashSet();
        if (metricsPorts.Count > 0)
        {
            // Only the metrics listener answers /metrics; on the API's ports it is an unknown path.
            app.UseOpenTelemetryPrometheusScrapingEndpoint(context =>
                metricsPorts.Contains(context.Connection.LocalPort) && context.Request.Path == HttpApiRoutes.Metrics);
        }

        // Routing first, so the key check sees which endpoint a request reached, however its path was spelled.
        app.UseRouting();
        app.UseMiddleware<ApiKeyMiddleware>();
        app.UseRateLimiter();

        app.MapGet(HttpApiRoutes.Health, HealthEndpoints.Healthy).WithTags("Operations").WithSummary("The process is up.");
        app.MapGet(HttpApiRoutes.Ready, (HealthEndpoints health) => health.Ready())
            .WithTags("Operations").WithSummary("The silo is active and its hosted models are loaded (503 until then).")
            .Produces<HealthResponse>().Produces<HealthResponse>(StatusCodes.Status503ServiceUnavailable);
        if (metricsPorts.Count == 0)
        {
            app.MapPrometheusScrapingEndpoint(HttpApiRoutes.Metrics);
        }

        app.MapOpenApi(HttpApiRoutes.OpenApi);

        var v1 = app.MapGroup(HttpApiRoutes.Prefix).WithMetadata(CallerRequired.Instance);
        MapOpenAi(v1);
        MapConversations(v1);
        v1.MapGet("/usage", (HttpContext context, UsageEndpoint usage, string? from, string? to) => usage.GetAsync(context, from, to))
            .WithTags("Usage").WithSummary("The caller's tenant's tokens by day, key and model.").WithErrors();
        app.MapLlamaWebUi();
        return app;
    }

    private static void MapOpenAi(RouteGroupBuilder v1)
    {
        v1.MapPost("/chat/completions", (HttpContext context, ChatCompletionsEndpoint chat) => chat.HandleAsync(context))
            .Generates<ChatCompletionRequest, ChatCompletionResponse, ChatCompletionChunk>("Chat completion (OpenAI-compatible); stream: true answers with server-sent events.");
        v1.MapPost("/completions", (HttpContext context, CompletionsEndpoint completions) => completions.HandleAsync(context))
            .Generates<CompletionRequest, CompletionResponse, CompletionResponse>("Text completion (OpenAI-compatible), for pretrained models.");
        v1.MapGet("/models", (ModelsEndpoint models) => models.List())
            .WithTags("OpenAI").WithSummary("The models this cluster serves.")
            .WithErrors();
        v1.MapGet("/models/{model}", (ModelsEndpoint models, string model) => models.Get(model))
            .WithTags("OpenAI").WithSummary("One model.")
            .WithErrors();
    }

    private static void MapConversations(RouteGroupBuilder v1)
    {
        var conversations = v1.MapGroup("/conversations").WithTags("Conversations");
        conversations.MapPost("/", (HttpContext context, ConversationsEndpoints endpoints) => endpoints.CreateAsync(context))
            .WithSummary("Creates a conversation with a model, system prompt, sampling and context policy.")
            .Accepts<CreateConversationRequest>("application/json")
            .Produces<ConversationResponse>(StatusCodes.Status201Created)
            .WithErrors();
        conversations.MapGet("/", (HttpContext context, ConversationsEndpoints endpoints, string? after, string? limit) => endpoints.ListAsync(context, after, limit))
            .WithSummary("The caller's conversations, oldest first, a page at a time.")
            .WithErrors();
        conversations.MapGet("/{id}", (HttpContext context, ConversationsEndpoints endpoints, string id) => endpoints.GetAsync(context, id))
            .WithSummary("A conversation's settings and state.")
            .WithErrors();
        conversations.MapDelete("/{id}", (HttpContext context, ConversationsEndpoints endpoints, string id) => endpoints.DeleteAsync(context, id))
            .WithSummary("Deletes a conversation and its stored state.")
            .WithErrors();
        conversations.MapGet("/{id}/messages", (HttpContext context, ConversationsEndpoints endpoints, string id) => endpoints.MessagesAsync(context, id))
            .WithSummary("The full transcript, including messages no longer in the model's view.")
            .WithErrors();
        conversations.MapPost("/{id}/messages", (HttpContext context, ConversationsEndpoints endpoints, string id) => endpoints.SendAsync(context, id))
            .WithSummary("Sends a user message (idempotent per X-Message-Id); stream: true answers with server-sent events.")
            .Accepts<ConversationMessageRequest>("application/json")
            .Produces<ConversationTurnResponse>()
            .Produces<ConversationTurnDelta>(StatusCodes.Status200OK, SseWriter.ContentType)
            .WithErrors();
    }

    /// <summary>An OpenAI generation endpoint: its request, its whole response, and the chunks of its stream.</summary>
    private static RouteHandlerBuilder Generates<TRequest, TResponse, TChunk>(this RouteHandlerBuilder endpoint, string summary)
        where TRequest : notnull => endpoint
        .WithTags("OpenAI").WithSummary(summary)
        .Accepts<TRequest>("application/json")
        .Produces<TResponse>()
        .Produces<TChunk>(StatusCodes.Status200OK, SseWriter.ContentType)
        .Produces<ErrorResponse>(StatusCodes.Status413PayloadTooLarge)
        .WithErrors();

    /// <summary>The error answers every /v1 endpoint may give, in OpenAI's shape.</summary>
    private static RouteHandlerBuilder WithErrors(this RouteHandlerBuilder endpoint) => endpoint
        .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
        .Produces<ErrorResponse>(StatusCodes.Status401Unauthorized)
        .Produces<ErrorResponse>(StatusCodes.Status404NotFound)
        .Produces<ErrorResponse>(StatusCodes.Status429TooManyRequests)
        .Produces<ErrorResponse>(StatusCodes.Status503ServiceUnavailable);

    /// <summary>The error for an answer that has only a status code: an unknown path (404), a wrong method (405) or body type (415).</summary>
    private static ApiError BareStatus(HttpContext context)
    {
        var status = context.Response.StatusCode;
        var message = status switch
        {
            StatusCodes.Status404NotFound => $"Unknown request URL: {context.Request.Method} {context.Request.Path}.",
            StatusCodes.Status405MethodNotAllowed => $"Method {context.Request.Method} is not allowed for {context.Request.Path}.",
            StatusCodes.Status415UnsupportedMediaType => "The request body must be JSON, sent with 'Content-Type: application/json'.",
            _ => $"The request failed with status {status}.",
        };
        return new ApiError(status, message, status >= 500 ? ApiErrorTypes.Server : ApiErrorTypes.InvalidRequest,
            Code: status == StatusCodes.Status404NotFound ? "unknown_url" : null);
    }
}
