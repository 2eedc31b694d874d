using System.Text.Json.Serialization;

namespace LlamaOrleans.Http.Json;

/// <summary>One server-sent event of a streamed chat completion (<c>object: "chat.completion.chunk"</c>).</summary>
public sealed record ChatCompletionChunk(string Id, long Created, string Model, IReadOnlyList<ChatChunkChoice> Choices, UsageInfo? Usage = null)
{
    public string Object => "chat.completion.chunk";
}

public sealed record ChatChunkChoice(
    int Index,
    ChatDelta Delta,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? FinishReason,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] ChatLogprobs? Logprobs = null);

/// <summary>What a chunk adds: the role on the first chunk, then content.</summary>
public sealed record ChatDelta(string? Role = null, string? Content = null);
