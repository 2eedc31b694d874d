namespace LlamaOrleans.Http.Generation;

/// <summary>How a turn ended and what it cost.</summary>
public sealed record TurnEnd(string FinishReason, int PromptTokens, int CompletionTokens, int CachedPromptTokens = 0, bool CacheHit = false, bool Replayed = false);
