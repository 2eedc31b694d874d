using System.Text.Json;
using System.Text.Json.Serialization;

namespace LlamaOrleans.Http.Json;

/// <summary>
/// The API's JSON, in OpenAI's snake_case. Reading is strict (no comments, trailing commas, quoted numbers or named
/// floats like NaN) and shallow (<see cref="MaxDepth"/>), so hostile bodies fail fast as 400s.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.Strict,
    ReadCommentHandling = JsonCommentHandling.Disallow,
    AllowTrailingCommas = false,
    MaxDepth = MaxDepth)]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(ChatCompletionRequest))]
[JsonSerializable(typeof(ChatCompletionResponse))]
[JsonSerializable(typeof(ChatCompletionChunk))]
[JsonSerializable(typeof(CompletionRequest))]
[JsonSerializable(typeof(CompletionResponse))]
[JsonSerializable(typeof(ModelList))]
[JsonSerializable(typeof(CreateConversationRequest))]
[JsonSerializable(typeof(ConversationResponse))]
[JsonSerializable(typeof(ConversationList))]
[JsonSerializable(typeof(ConversationMessageRequest))]
[JsonSerializable(typeof(ConversationTurnResponse))]
[JsonSerializable(typeof(ConversationTurnDelta))]
[JsonSerializable(typeof(ConversationMessages))]
[JsonSerializable(typeof(ConversationDeleted))]
[JsonSerializable(typeof(UsageResponse))]
[JsonSerializable(typeof(HealthResponse))]
public sealed partial class ApiJsonContext : JsonSerializerContext
{
    public const int MaxDepth = 16;
}
