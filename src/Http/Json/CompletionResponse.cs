using System.Text.Json.Serialization;

namespace LlamaOrleans.Http.Json;

/// <summary>A text completion or one streamed piece of it (<c>object: "text_completion"</c>).</summary>
public sealed record CompletionResponse(string Id, long Created, string Model, IReadOnlyList<CompletionChoice> Choices, UsageInfo? Usage = null)
{
    public string Object => "text_completion";
}

public sealed record CompletionChoice(
    string Text,
    int Index,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? FinishReason,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] CompletionLogprobs? Logprobs = null);
