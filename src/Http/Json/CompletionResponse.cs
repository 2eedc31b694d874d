using System.Text.Json.Serialization;

namespace LlamaOrleans.Http.Json;

/// <summary>
/// A text completion or one streamed piece of it (<c>object: "text_completion"</c>). In a stream <c>usage</c> is null
/// but on the last piece of one with <c>stream_options.include_usage</c>, which has no choices.
/// </summary>
public sealed record CompletionResponse(
    string Id,
    long Created,
    string Model,
    IReadOnlyList<CompletionChoice> Choices,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] UsageInfo? Usage = null)
{
    public string Object => "text_completion";

    public string SystemFingerprint => Json.SystemFingerprint.For(Model);
}

public sealed record CompletionChoice(
    string Text,
    int Index,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? FinishReason,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] CompletionLogprobs? Logprobs = null);
