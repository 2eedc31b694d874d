using Llama.Chat;

namespace LlamaOrleans.Http.Endpoints;

/// <summary>
/// <c>POST /v1/chat/completions</c>: OpenAI's chat completion over Meta's chat format. Stateless by default; with
/// <c>X-Conversation-Id</c> the last (user) message continues that conversation, whose history and KV cache the
/// server keeps, and whose settings govern sampling unless the request sets <c>max_tokens</c>, <c>temperature</c>,
/// <c>top_p</c> or <c>seed</c>, which then hold for that turn.
/// </summary>
public sealed class ChatCompletionsEndpoint(
    IModelCatalog catalog,
    StatelessGenerator generator,
    ConversationTurns conversations,
    QuotaGuard quotas,
    TurnResponder responder)
{
    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var caller = context.GetCaller();
        var request = await RequestBody.ReadAsync(context, ApiJsonContext.Default.ChatCompletionRequest);
        var model = RequestChecks.Model(request.Model, catalog);
        UnsupportedParameters.Check(request);
        var sampling = RequestChecks.Sampling(request.Temperature, request.TopP, request.MaxCompletionTokens ?? request.MaxTokens, request.Seed, request.Stop, request.N) with
        {
            TopLogprobs = RequestChecks.ChatLogprobs(request.Logprobs, request.TopLogprobs),
        };
        var logprobs = sampling.TopLogprobs is not null;
        var dialog = ChatDialog.From(request.Messages);
        var conversationId = context.Request.Headers[HttpApiRoutes.ConversationIdHeader].ToString();
        var (turn, promptTokens, maxTokens) = conversationId.Length > 0
            ? await ContinueConversation(caller, conversationId, model, dialog, request, sampling, context)
            : Stateless(model, dialog, sampling, context.RequestAborted);
        await using var reservation = await quotas.ReserveAsync(caller, maxTokens);

        var id = $"chatcmpl-{Guid.NewGuid():N}";
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        if (request.Stream == true)
        {
            var includeUsage = request.StreamOptions?.IncludeUsage == true;
            var first = true;
            await responder.StreamAsync(context, model, "chat.completions", turn, promptTokens,
                async (sse, piece, token) =>
                {
                    if (first)
                    {
                        // OpenAI's first chunk announces the role only; strict clients read the reply from the chunks after it.
                        first = false;
                        var role = new ChatChunkChoice(0, new ChatDelta(RoleNames.Assistant, string.Empty), null);
                        await sse.WriteAsync(new ChatCompletionChunk(id, created, model, [role]), ApiJsonContext.Default.ChatCompletionChunk, token);
                    }

                    if (piece.Text.Length > 0 || piece.Logprobs is { Count: > 0 })
                    {
                        var choice = new ChatChunkChoice(0, new ChatDelta(Content: piece.Text), null, logprobs ? ChatLogprobs.From(piece.Logprobs ?? []) : null);
                        await sse.WriteAsync(new ChatCompletionChunk(id, created, model, [choice]), ApiJsonContext.Default.ChatCompletionChunk, token);
                    }
                },
                async (sse, end, token) =>
                {
                    await sse.WriteAsync(new ChatCompletionChunk(id, created, model, [new ChatChunkChoice(0, new ChatDelta(), end.FinishReason)]), ApiJsonContext.Default.ChatCompletionChunk, token);
                    if (includeUsage)
                    {
                        await sse.WriteAsync(new ChatCompletionChunk(id, created, model, [], new UsageInfo(end.PromptTokens, end.CompletionTokens)), ApiJsonContext.Default.ChatCompletionChunk, token);
                    }
                });
            return;
        }

        var (text, tokens, end) = await responder.CollectAsync(context, model, "chat.completions", turn, promptTokens);
        var response = new ChatCompletionResponse(id, created, model,
            [new ChatCompletionChoice(0, new ChatReplyMessage(RoleNames.Assistant, text), end.FinishReason, logprobs ? ChatLogprobs.From(tokens) : null)],
            new UsageInfo(end.PromptTokens, end.CompletionTokens));
        await context.Response.WriteAsJsonAsync(response, ApiJsonContext.Default.ChatCompletionResponse, cancellationToken: context.RequestAborted);
    }

    /// <summary>The turn, its prompt's tokens, and the most it may spend (prompt and reply, within the context).</summary>
    private (IAsyncEnumerable<TurnPiece> Turn, int PromptTokens, long MaxTokens) Stateless(
        string model, IReadOnlyList<Message> dialog, Sampling sampling, CancellationToken cancellationToken)
    {
        var prompt = generator.EncodeChat(model, dialog);
        var fitted = generator.Fit(model, prompt.Ids, sampling, "messages");
        var turn = prompt.HasSpecialTags ? Refusal(prompt.Ids.Count) : generator.Generate(fitted, cancellationToken);
        return (turn, prompt.Ids.Count, fitted.MaxTokens);
    }

    /// <summary>Meta answers a dialog with special tags by a fixed error text instead of the model's reply.</summary>
    private static async IAsyncEnumerable<TurnPiece> Refusal(int promptTokens)
    {
        await Task.CompletedTask;
        yield return new TurnPiece(ChatFormat.UnsafeReply, End: new TurnEnd("stop", promptTokens, 0));
    }

    /// <summary>The turn; its prompt is the conversation's to build (unknown here), and it spends at most the model's context.</summary>
    private async Task<(IAsyncEnumerable<TurnPiece> Turn, int PromptTokens, long MaxTokens)> ContinueConversation(
        Caller caller, string conversationId, string model, IReadOnlyList<Message> dialog, ChatCompletionRequest request, Sampling sampling, HttpContext context)
    {
        var status = await conversations.StatusAsync(caller, conversationId);
        if (status.Settings.Model != model)
        {
            throw ApiException.BadRequest(
                $"Conversation '{conversationId}' uses model '{status.Settings.Model}', not '{model}'.", "model", "model_mismatch");
        }

        if (sampling.Stop.Count > 0)
        {
            throw ApiException.BadRequest("stop is not supported when continuing a conversation.", "stop", "unsupported_parameter");
        }

        if (sampling.TopLogprobs is not null)
        {
            throw ApiException.BadRequest("logprobs are not supported when continuing a conversation.", "logprobs", "unsupported_parameter");
        }

        if (dialog[^1].Role != Role.User)
        {
            throw new ChatFormatException($"Last message must be from user, got {dialog[^1].Role.ToRoleName()}");
        }

        // The conversation decides its context; this only names the field in the same rule's refusal.
        RequestChecks.Require(SamplingRules.MaxReplyTokens(sampling.MaxReplyTokens, "max_tokens", status.ContextLimit, model), "max_tokens");

        // The request's sampling holds for this turn; what it leaves out comes from the conversation's settings.
        var messageId = MessageIds.From(context);
        var message = new UserMessage(messageId, dialog[^1].Content)
        {
            MaxReplyTokens = sampling.MaxReplyTokens,
            Temperature = request.Temperature is null ? null : sampling.Temperature,
            TopP = request.TopP is null ? null : sampling.TopP,
            Seed = sampling.Seed,
        };
        return (conversations.Send(caller, conversationId, message, context.RequestAborted), 0, status.ContextLimit);
    }
}
