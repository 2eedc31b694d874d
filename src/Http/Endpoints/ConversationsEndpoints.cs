using System.Globalization;

namespace LlamaOrleans.Http.Endpoints;

/// <summary>
/// <c>/v1/conversations</c>: server-side conversations whose KV caches stay warm between turns. Each belongs to the
/// tenant that created it; other tenants' ids are not found.
/// </summary>
public sealed class ConversationsEndpoints(IGrainFactory grains, IModelCatalog catalog, ConversationTurns conversations, QuotaGuard quotas, TurnResponder responder)
{
    public const int DefaultPageSize = 20;
    public const int MaxPageSize = 100;

    public async Task CreateAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var caller = context.GetCaller();
        var request = await RequestBody.ReadAsync(context, ApiJsonContext.Default.CreateConversationRequest);
        var model = RequestChecks.Model(request.Model, catalog);
        var sampling = RequestChecks.Sampling(request.Temperature, request.TopP, request.MaxTokens, request.Seed, null, null);
        var settings = new ConversationSettings
        {
            Model = model,
            SystemPrompt = request.SystemPrompt,
            Temperature = sampling.Temperature,
            TopP = sampling.TopP,
            MaxReplyTokens = sampling.MaxReplyTokens,
            Seed = sampling.Seed,
            ContextPolicy = Policy(request.ContextPolicy),
            ContextShift = request.ContextShift ?? false,
        };
        var id = ConversationKeys.NewId();
        var status = await conversations.Grain(caller, id).Configure(settings);
        await Index(caller).Add(id, DateTimeOffset.UtcNow);
        context.Response.StatusCode = StatusCodes.Status201Created;
        context.Response.Headers.Location = $"{HttpApiRoutes.Conversations}/{id}";
        await context.Response.WriteAsJsonAsync(Response(id, status), ApiJsonContext.Default.ConversationResponse, cancellationToken: context.RequestAborted);
    }

    public async Task<ConversationList> ListAsync(HttpContext context, string? after, string? limit)
    {
        ArgumentNullException.ThrowIfNull(context);
        var size = DefaultPageSize;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out size) || size is < 1 or > MaxPageSize))
        {
            throw ApiException.BadRequest($"limit must be between 1 and {MaxPageSize}.", "limit", "invalid_value");
        }

        ConversationPage page;
        try
        {
            page = await Index(context.GetCaller()).List(after, size);
        }
        catch (ConversationException e) when (e.Code == ConversationErrorCode.InvalidRequest)
        {
            throw ApiException.BadRequest(e.Message, "after", "invalid_value");
        }

        var items = page.Conversations.Select(c => new ConversationListItem(c.ConversationId, c.CreatedAt.ToUnixTimeSeconds())).ToArray();
        return new ConversationList(items, page.HasMore, items.FirstOrDefault()?.Id, items.LastOrDefault()?.Id);
    }

    public async Task<ConversationResponse> GetAsync(HttpContext context, string id)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Response(id, await conversations.StatusAsync(context.GetCaller(), id));
    }

    public async Task<ConversationMessages> MessagesAsync(HttpContext context, string id)
    {
        ArgumentNullException.ThrowIfNull(context);
        var caller = context.GetCaller();
        await conversations.StatusAsync(caller, id);
        var history = await conversations.Grain(caller, id).GetHistory();
        return new ConversationMessages([.. history.Select(e => new ConversationMessage(
            e.Role.ToString().ToLowerInvariant(), e.Content, e.MessageId, e.At.ToUnixTimeSeconds(), e.InContext))]);
    }

    public async Task SendAsync(HttpContext context, string id)
    {
        ArgumentNullException.ThrowIfNull(context);
        var caller = context.GetCaller();
        var request = await RequestBody.ReadAsync(context, ApiJsonContext.Default.ConversationMessageRequest);
        if (string.IsNullOrWhiteSpace(request.Content))
        {
            throw ApiException.BadRequest("content must be a non-empty string.", "content", "invalid_value");
        }

        var status = await conversations.StatusAsync(caller, id);
        // A turn's prompt and reply fit the model's context: the most it may spend.
        await using var reservation = await quotas.ReserveAsync(caller, status.ContextLimit);
        var messageId = MessageIds.From(context);
        var model = status.Settings.Model;
        var turn = conversations.Send(caller, id, new UserMessage(messageId, request.Content), context.RequestAborted);
        if (request.Stream == true)
        {
            await responder.StreamAsync(context, model, "conversations", turn, 0,
                async (sse, piece, token) =>
                {
                    if (piece.Text.Length > 0)
                    {
                        await sse.WriteAsync(new ConversationTurnDelta(messageId, id, piece.Text), ApiJsonContext.Default.ConversationTurnDelta, token);
                    }
                },
                (sse, end, token) => sse.WriteAsync(Turn(messageId, id, null, end), ApiJsonContext.Default.ConversationTurnResponse, token));
            return;
        }

        var (reply, _, end) = await responder.CollectAsync(context, model, "conversations", turn, 0);
        await context.Response.WriteAsJsonAsync(Turn(messageId, id, reply, end), ApiJsonContext.Default.ConversationTurnResponse, cancellationToken: context.RequestAborted);
    }

    public async Task<ConversationDeleted> DeleteAsync(HttpContext context, string id)
    {
        ArgumentNullException.ThrowIfNull(context);
        var caller = context.GetCaller();
        try
        {
            await conversations.Grain(caller, id).Delete();
        }
        catch (ConversationException e) when (e.Code == ConversationErrorCode.NotFound)
        {
            throw ConversationTurns.NotFound(id);
        }

        await Index(caller).Remove(id);
        return new ConversationDeleted(id);
    }

    private ITenantConversationsGrain Index(Caller caller) => grains.GetGrain<ITenantConversationsGrain>(caller.Tenant);

    /// <summary>In a stream the reply went out in the deltas, so the closing turn object carries it empty.</summary>
    private static ConversationTurnResponse Turn(string messageId, string id, string? reply, TurnEnd end) =>
        new(messageId, id, reply ?? string.Empty, end.FinishReason, new UsageInfo(end.PromptTokens, end.CompletionTokens), end.CachedPromptTokens, end.CacheHit, end.Replayed);

    private static ContextPolicy Policy(string? policy) => policy?.ToLowerInvariant() switch
    {
        null or "trim" => ContextPolicy.Trim,
        "summarize" => ContextPolicy.Summarize,
        "fail" => ContextPolicy.Fail,
        _ => throw ApiException.BadRequest($"context_policy must be 'trim', 'summarize' or 'fail', got '{policy}'.", "context_policy", "invalid_value"),
    };

    private static ConversationResponse Response(string id, ConversationStatus status)
    {
        var s = status.Settings;
        // Settings hold floats; report them as the decimals the client sent, not their binary expansion.
        return new ConversationResponse(id, s.Model, s.SystemPrompt, Math.Round(s.Temperature, 6), Math.Round(s.TopP, 6), s.MaxReplyTokens,
            s.Seed is { } seed ? unchecked((long)seed) : null, s.ContextPolicy.ToString().ToLowerInvariant(), s.ContextShift,
            status.Turns, status.ContextTokens, status.ContextLimit, status.Trims, status.Summaries, status.CachedTokens, status.Summary,
            status.MaxReplyTokens, status.CacheWorker);
    }
}
