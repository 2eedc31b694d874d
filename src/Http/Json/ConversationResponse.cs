namespace LlamaOrleans.Http.Json;

/// <summary>A conversation's settings and state (<c>object: "conversation"</c>).</summary>
public sealed record ConversationResponse(
    string Id,
    string Model,
    string? SystemPrompt,
    double Temperature,
    double TopP,
    int? MaxTokens,
    long? Seed,
    string ContextPolicy,
    bool ContextShift,
    int Turns,
    int ContextTokens,
    int ContextLimit,
    int Trims,
    int Summaries,
    int CachedTokens,
    string? Summary,
    int ReplyReserve,
    string? CacheWorker)
{
    public string Object => "conversation";
}
