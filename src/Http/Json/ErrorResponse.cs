using System.Text.Json.Serialization;

namespace LlamaOrleans.Http.Json;

/// <summary>OpenAI's error body.</summary>
public sealed record ErrorResponse(ErrorBody Error);

/// <summary>OpenAI's error object; <c>param</c> and <c>code</c> are always present, null when they do not apply.</summary>
public sealed record ErrorBody(
    string Message,
    string Type,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Param,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Code);
