namespace LlamaOrleans.Http.Json;

/// <summary>The body of <c>POST /v1/conversations/{id}/messages</c>: the user's message, streamed back or not.</summary>
public sealed class ConversationMessageRequest
{
    public string? Content { get; set; }

    public bool? Stream { get; set; }
}
