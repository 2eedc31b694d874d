namespace LlamaOrleans.Http.Json;

/// <summary>A completed turn of a conversation (<c>object: "conversation.turn"</c>).</summary>
public sealed record ConversationTurnResponse(
    string Id,
    string ConversationId,
    string Reply,
    string FinishReason,
    UsageInfo Usage,
    int CachedPromptTokens,
    bool CacheHit,
    bool Replayed)
{
    public string Object => "conversation.turn";
}
