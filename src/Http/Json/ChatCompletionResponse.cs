using System.Text.Json.Serialization;

namespace LlamaOrleans.Http.Json;

/// <summary>A whole chat completion (<c>object: "chat.completion"</c>).</summary>
public sealed record ChatCompletionResponse(string Id, long Created, string Model, IReadOnlyList<ChatCompletionChoice> Choices, UsageInfo Usage)
{
    public string Object => "chat.completion";

    public string SystemFingerprint => Json.SystemFingerprint.For(Model);
}

public sealed record ChatCompletionChoice(
    int Index,
    ChatReplyMessage Message,
    string FinishReason,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] ChatLogprobs? Logprobs = null);

public sealed record ChatReplyMessage(string Role, string Content);

/// <summary>Token counts of a request, as OpenAI reports them.</summary>
public sealed record UsageInfo(int PromptTokens, int CompletionTokens)
{
    public int TotalTokens => PromptTokens + CompletionTokens;
}
