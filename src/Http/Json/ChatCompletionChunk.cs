using System.Text.Json.Serialization;

namespace LlamaOrleans.Http.Json;

/// <summary>
/// One server-sent event of a streamed chat completion (<c>object: "chat.completion.chunk"</c>). <c>usage</c> is null
/// on every chunk but the last of a stream with <c>stream_options.include_usage</c>, which has no choices.
/// </summary>
public sealed record ChatCompletionChunk(
    string Id,
    long Created,
    string Model,
    IReadOnlyList<ChatChunkChoice> Choices,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] UsageInfo? Usage = null)
{
    public string Object => "chat.completion.chunk";

    public string SystemFingerprint => Json.SystemFingerprint.For(Model);
}

public sealed record ChatChunkChoice(
    int Index,
    ChatDelta Delta,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? FinishReason,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] ChatLogprobs? Logprobs = null);

/// <summary>What a chunk adds: the role (with empty content) on the first chunk, then content.</summary>
public sealed record ChatDelta(string? Role = null, string? Content = null);
