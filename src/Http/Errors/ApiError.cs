namespace LlamaOrleans.Http.Errors;

/// <summary>An error as the API answers it: a status code and OpenAI's error object, and when to retry.</summary>
public sealed record ApiError(int Status, string Message, string Type, string? Param = null, string? Code = null, TimeSpan? RetryAfter = null);
