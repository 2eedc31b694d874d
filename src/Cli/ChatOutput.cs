using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using LlamaOrleans;
using LlamaOrleans.Client;

namespace Llama.Cli;

/// <summary>What the chat command prints: streamed replies, context use, transcripts and state, as text or JSON.</summary>
internal static class ChatOutput
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>Sends <paramref name="text"/> and writes the reply as it streams in, ending the line when the turn completes.</summary>
    public static async Task<TurnResult> StreamReplyAsync(LlamaConversation conversation, string text, TextWriter output,
        CancellationToken cancellationToken)
    {
        TurnResult? completed = null;
        await foreach (var delta in conversation.StreamAsync(text, cancellationToken: cancellationToken))
        {
            output.Write(delta.Text);
            output.Flush();
            completed ??= delta.Completed;
        }

        output.WriteLine();

        // StreamAsync guarantees that the last delta carries the turn.
        return completed!;
    }

    /// <summary>"[context 312/512 tokens]", with what else the turn did worth knowing.</summary>
    public static string ContextLine(ConversationStatus status, TurnResult? turn = null)
    {
        var notes = new List<string>();
        if (turn?.FinishReason == "length")
        {
            notes.Add("reply cut at the token limit");
        }

        if (turn?.Replayed == true)
        {
            notes.Add("recorded reply");
        }

        var tail = notes.Count > 0 ? "; " + string.Join("; ", notes) : string.Empty;
        return string.Create(CultureInfo.InvariantCulture, $"[context {status.ContextTokens}/{status.ContextLimit} tokens{tail}]");
    }

    public static void WriteHistory(IReadOnlyList<TranscriptEntry> entries, TextWriter output)
    {
        if (entries.Count == 0)
        {
            output.WriteLine("(no messages)");
        }

        foreach (var entry in entries)
        {
            var left = entry.InContext ? string.Empty : " (out of the model's context)";
            output.WriteLine($"{RoleName(entry.Role)}{left}: {entry.Content}");
        }
    }

    public static void WriteHistoryJson(IReadOnlyList<TranscriptEntry> entries, TextWriter output) =>
        output.WriteLine(JsonSerializer.Serialize(entries, Json));

    public static void WriteTurnJson(string conversationId, TurnResult turn, ConversationStatus status, TextWriter output) =>
        output.WriteLine(JsonSerializer.Serialize(new TurnOutput(conversationId, turn, status.ContextTokens, status.ContextLimit), Json));

    public static void WriteState(ConversationStatus status, TextWriter output)
    {
        var settings = status.Settings;
        var c = CultureInfo.InvariantCulture;
        output.WriteLine($"conversation {status.ConversationId}");
        output.WriteLine(string.Create(c,
            $"model {settings.Model}, temperature {settings.Temperature}, top-p {settings.TopP}, max reply tokens {settings.MaxReplyTokens?.ToString(c) ?? "none"}, seed {settings.Seed?.ToString(c) ?? "none"}, context policy {settings.ContextPolicy}"));
        output.WriteLine($"system prompt: {settings.SystemPrompt ?? "(none)"}");
        output.WriteLine(string.Create(c,
            $"turns {status.Turns}, context {status.ContextTokens}/{status.ContextLimit} tokens, trims {status.Trims}, summaries {status.Summaries}"));
        output.WriteLine(status.CacheWorker is { } worker
            ? string.Create(c, $"KV cache: {status.CachedTokens} tokens on {worker}")
            : "KV cache: none");
        if (status.Summary is { } summary)
        {
            output.WriteLine($"summary: {summary}");
        }
    }

    private static string RoleName(TranscriptRole role) => role switch
    {
        TranscriptRole.System => "system",
        TranscriptRole.User => "user",
        TranscriptRole.Assistant => "assistant",
        _ => role.ToString(),
    };

    private sealed record TurnOutput(string ConversationId, TurnResult Turn, int ContextTokens, int ContextLimit);
}
