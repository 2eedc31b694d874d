using System.Text.Json;

namespace Llama.Chat;

/// <summary>Reads Meta's dialog JSON: an array of <c>{"role": "...", "content": "..."}</c> objects.</summary>
public static class DialogJson
{
    /// <summary>Parses a dialog from JSON text.</summary>
    /// <exception cref="ChatFormatException">
    /// The JSON is malformed or not a dialog, or a role is unknown (then the message is Meta's <see cref="ChatFormat.RoleError"/>).
    /// </exception>
    public static IReadOnlyList<Message> Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using var document = JsonDocument.Parse(json);
            return Parse(document.RootElement);
        }
        catch (JsonException e)
        {
            throw new ChatFormatException($"Dialog is not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>Parses a dialog from a JSON array element.</summary>
    /// <exception cref="ChatFormatException">The element is not a dialog, or a role is unknown.</exception>
    public static IReadOnlyList<Message> Parse(JsonElement dialog)
    {
        if (dialog.ValueKind != JsonValueKind.Array)
        {
            throw new ChatFormatException($"Dialog must be a JSON array of messages, not {dialog.ValueKind}.");
        }

        var messages = new List<Message>(dialog.GetArrayLength());
        foreach (var element in dialog.EnumerateArray())
        {
            var index = messages.Count;
            if (element.ValueKind != JsonValueKind.Object)
            {
                throw new ChatFormatException($"Dialog message {index} must be an object with 'role' and 'content', not {element.ValueKind}.");
            }

            var role = RoleNames.Parse(StringProperty(element, "role", index));
            messages.Add(new Message(role, StringProperty(element, "content", index)));
        }

        return messages;
    }

    private static string StringProperty(JsonElement message, string name, int index) =>
        message.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new ChatFormatException($"Dialog message {index} has no string '{name}'.");
}
