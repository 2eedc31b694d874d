namespace LlamaOrleans.Http.Json;

/// <summary>A piece of a streamed conversation reply (<c>object: "conversation.turn.delta"</c>).</summary>
public sealed record ConversationTurnDelta(string Id, string ConversationId, string Delta)
{
    public string Object => "conversation.turn.delta";
}
