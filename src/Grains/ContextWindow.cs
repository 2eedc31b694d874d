using Llama.Chat;

namespace LlamaOrleans.Grains;

/// <summary>
/// The model's view of a conversation and the rules that keep it within the context: the system prompt
/// (with any summary), the transcript entries still in context, and the new user message.
/// </summary>
public static class ContextWindow
{
    public const string SummaryIntro = "Summary of the earlier conversation: ";

    public static string? SystemText(string? systemPrompt, string? summary) => (systemPrompt, summary) switch
    {
        (null or "", null or "") => null,
        (_, null or "") => systemPrompt,
        (null or "", _) => SummaryIntro + summary,
        _ => $"{systemPrompt}\n\n{SummaryIntro}{summary}",
    };

    /// <summary>Meta's dialog for the model: system (if any), in-context entries, then <paramref name="user"/>.</summary>
    public static IReadOnlyList<Message> Dialog(string? system, IEnumerable<TranscriptEntry> entries, string user)
    {
        var dialog = new List<Message>();
        if (system is not null)
        {
            dialog.Add(new Message(Role.System, system));
        }

        dialog.AddRange(entries.Where(e => e.InContext).Select(e => new Message(ToRole(e.Role), e.Content)));
        dialog.Add(new Message(Role.User, user));
        return dialog;
    }

    /// <summary>Index of the oldest in-context user message with its reply, or -1 when none is left.</summary>
    public static int OldestPair(IReadOnlyList<TranscriptEntry> transcript)
    {
        for (var i = 0; i + 1 < transcript.Count; i++)
        {
            if (transcript[i].InContext && transcript[i].Role == TranscriptRole.User && transcript[i + 1].Role == TranscriptRole.Assistant)
            {
                return i;
            }
        }

        return -1;
    }

    public static Role ToRole(TranscriptRole role) => role switch
    {
        TranscriptRole.System => Role.System,
        TranscriptRole.User => Role.User,
        _ => Role.Assistant,
    };
}
