using System.Text.Json;

namespace LlamaOrleans.Http.Endpoints;

/// <summary><c>POST /v1/completions</c>: text completion as Meta's <c>text_completion</c> (for pretrained models), optionally echoing the prompt.</summary>
public sealed class CompletionsEndpoint(IModelCatalog catalog, StatelessGenerator generator, QuotaGuard quotas, TurnResponder responder)
{
    /// <summary>OpenAI's default completion length (<c>max_tokens</c>).</summary>
    public const int DefaultMaxReplyTokens = 16;

    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var caller = context.GetCaller();
        var request = await RequestBody.ReadAsync(context, ApiJsonContext.Default.CompletionRequest);
        var model = RequestChecks.Model(request.Model, catalog);
        if (request.Suffix is not null)
        {
            throw ApiException.BadRequest("suffix is not supported by this server.", "suffix", UnsupportedParameters.Code);
        }

        UnsupportedParameters.Check(request);

        var prompt = Prompt(request.Prompt);
        var sampling = RequestChecks.Sampling(request.Temperature, request.TopP, request.MaxTokens ?? DefaultMaxReplyTokens, request.Seed, request.Stop, request.N) with
        {
            TopLogprobs = RequestChecks.CompletionLogprobs(request.Logprobs),
        };
        var logprobs = sampling.TopLogprobs is not null;
        if (logprobs && request.Echo == true)
        {
            // The workers compute logits for the last prompt position only, so the prompt tokens have no log-probabilities.
            throw ApiException.BadRequest("echo together with logprobs is not supported: the server does not compute log-probabilities of prompt tokens.",
                "echo", "unsupported_parameter");
        }
        var ids = generator.EncodeText(model, prompt);
        var fitted = generator.Fit(model, ids, sampling, "prompt");
        var turn = generator.Generate(fitted, context.RequestAborted);
        await using var reservation = await quotas.ReserveAsync(caller, fitted.MaxTokens);

        var echo = request.Echo == true ? prompt : string.Empty;
        var id = $"cmpl-{Guid.NewGuid():N}";
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        if (request.Stream == true)
        {
            var includeUsage = request.StreamOptions?.IncludeUsage == true;
            // Text offsets count from the completion's start, across the stream's chunks.
            var offset = 0;
            await responder.StreamAsync(context, model, "completions", turn, ids.Count,
                async (sse, piece, token) =>
                {
                    var text = echo + piece.Text;
                    echo = string.Empty;
                    if (text.Length > 0 || piece.Logprobs is { Count: > 0 })
                    {
                        var choice = new CompletionChoice(text, 0, null, logprobs ? CompletionLogprobs.From(piece.Logprobs ?? [], offset) : null);
                        offset += text.Length;
                        await sse.WriteAsync(new CompletionResponse(id, created, model, [choice]), ApiJsonContext.Default.CompletionResponse, token);
                    }
                },
                async (sse, end, token) =>
                {
                    await sse.WriteAsync(
                        new CompletionResponse(id, created, model, [new CompletionChoice(string.Empty, 0, end.FinishReason, logprobs ? CompletionLogprobs.From([], offset) : null)]),
                        ApiJsonContext.Default.CompletionResponse, token);
                    if (includeUsage)
                    {
                        // As in chat: the usage comes in a chunk of its own, with no choices.
                        await sse.WriteAsync(new CompletionResponse(id, created, model, [], new UsageInfo(end.PromptTokens, end.CompletionTokens)),
                            ApiJsonContext.Default.CompletionResponse, token);
                    }
                });
            return;
        }

        var (completion, tokens, end) = await responder.CollectAsync(context, model, "completions", turn, ids.Count);
        var response = new CompletionResponse(id, created, model,
            [new CompletionChoice(echo + completion, 0, end.FinishReason, logprobs ? CompletionLogprobs.From(tokens, 0) : null)],
            new UsageInfo(end.PromptTokens, end.CompletionTokens));
        await context.Response.WriteAsJsonAsync(response, ApiJsonContext.Default.CompletionResponse, cancellationToken: context.RequestAborted);
    }

    private static string Prompt(JsonElement? prompt) => prompt?.ValueKind switch
    {
        JsonValueKind.String => JsonText.Get(prompt.Value, "prompt"),
        JsonValueKind.Array when prompt.Value.GetArrayLength() == 1 && prompt.Value[0].ValueKind == JsonValueKind.String => JsonText.Get(prompt.Value[0], "prompt[0]"),
        JsonValueKind.Array when prompt.Value.GetArrayLength() > 1 => throw ApiException.BadRequest("Only one prompt per request is supported.", "prompt", "invalid_value"),
        null or JsonValueKind.Null => throw ApiException.BadRequest("You must provide a prompt parameter.", "prompt", "missing_required_parameter"),
        _ => throw ApiException.BadRequest("prompt must be a string.", "prompt", "invalid_type"),
    };
}
