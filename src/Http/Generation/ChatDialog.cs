using System.Text;
using System.Text.Json;
using Llama.Chat;
using LlamaOrleans.Http.Errors;
using LlamaOrleans.Http.Json;

namespace LlamaOrleans.Http.Generation;

/// <summary>Turns OpenAI's messages into Meta's dialog; roles Meta does not know are refused with Meta's text.</summary>
public static class ChatDialog
{
    public static IReadOnlyList<Message> From(List<ChatMessageInput?>? messages)
    {
        if (messages is null || messages.Count == 0)
        {
            throw ApiException.BadRequest("messages must be a non-empty array.", "messages", "invalid_value");
        }

        var dialog = new List<Message>(messages.Count);
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i] ?? throw ApiException.BadRequest($"messages[{i}] must be an object.", $"messages[{i}]", "invalid_type");
            if (!RoleNames.TryParse(message.Role, out var role))
            {
                throw ApiException.BadRequest(ChatFormat.RoleError, $"messages[{i}].role", "invalid_messages");
            }

            dialog.Add(new Message(role, Content(message.Content, i)));
        }

        return dialog;
    }

    /// <summary>A string, or an array of <c>{"type":"text","text":...}</c> parts joined.</summary>
    private static string Content(JsonElement? content, int index)
    {
        var param = $"messages[{index}].content";
        switch (content?.ValueKind)
        {
            case JsonValueKind.String:
                return JsonText.Get(content.Value, param);
            case JsonValueKind.Array:
                var text = new StringBuilder();
                var partIndex = 0;
                foreach (var part in content.Value.EnumerateArray())
                {
                    if (part.ValueKind != JsonValueKind.Object
                        || !part.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || type.GetString() != "text"
                        || !part.TryGetProperty("text", out var partText) || partText.ValueKind != JsonValueKind.String)
                    {
                        throw ApiException.BadRequest("Only text content parts ({\"type\":\"text\",\"text\":...}) are supported.", param, "invalid_type");
                    }

                    text.Append(JsonText.Get(partText, $"{param}[{partIndex++}].text"));
                }

                return text.ToString();
            default:
                throw ApiException.BadRequest("Message content must be a string or an array of text parts.", param, "invalid_type");
        }
    }
}
