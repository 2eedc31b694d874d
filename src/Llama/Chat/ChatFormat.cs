using Llama.Tokenization;

namespace Llama.Chat;

/// <summary>
/// Meta's Llama 2 chat prompt, built as <c>Llama.chat_completion</c> in <c>llama/generation.py</c> builds it:
/// a leading system message is merged into the first user message between <see cref="BeginSystem"/> and
/// <see cref="EndSystem"/>; every user/assistant pair becomes <c>"[INST] {user.strip()} [/INST] {answer.strip()} "</c>
/// with BOS and EOS; the final user message becomes <c>"[INST] {user.strip()} [/INST]"</c> with BOS only.
/// </summary>
public sealed class ChatFormat
{
    public const string BeginInstruction = "[INST]";
    public const string EndInstruction = "[/INST]";
    public const string BeginSystem = "<<SYS>>\n";
    public const string EndSystem = "\n<</SYS>>\n\n";

    /// <summary>The reply content Meta returns for a dialog with special tags.</summary>
    public const string UnsafeReply = "Error: special tags are not allowed as part of the prompt.";

    /// <summary>Meta's error for roles out of order (or unknown).</summary>
    public const string RoleError =
        "model only supports 'system', 'user' and 'assistant' roles, starting with 'system', then 'user' and alternating (u/a/u/a/u...)";

    private readonly ITokenizer tokenizer;

    public ChatFormat(ITokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        this.tokenizer = tokenizer;
    }

    /// <summary>The tags whose presence in any message makes Meta refuse the reply.</summary>
    public static IReadOnlyList<string> SpecialTags { get; } = [BeginInstruction, EndInstruction, "<<SYS>>", "<</SYS>>"];

    /// <summary>Encodes a dialog as Meta's chat prompt.</summary>
    /// <exception cref="ChatFormatException">
    /// The dialog is empty, its roles do not go (system,) user, assistant, user, … (<see cref="RoleError"/>),
    /// or its last message is not from the user ("Last message must be from user, got {role}").
    /// </exception>
    public ChatPrompt Encode(IReadOnlyList<Message> dialog)
    {
        ArgumentNullException.ThrowIfNull(dialog);
        if (dialog.Any(message => message is null))
        {
            throw new ArgumentException("Dialog contains a null message.", nameof(dialog));
        }

        if (dialog.Count == 0)
        {
            throw new ChatFormatException("Dialog is empty: it needs at least one user message.");
        }

        var hasSpecialTags = dialog.Any(message => SpecialTags.Any(tag => message.Content.Contains(tag, StringComparison.Ordinal)));
        var turns = MergeSystem(dialog);
        for (var i = 0; i < turns.Count; i++)
        {
            if (turns[i].Role != (i % 2 == 0 ? Role.User : Role.Assistant))
            {
                throw new ChatFormatException(RoleError);
            }
        }

        if (turns[^1].Role != Role.User)
        {
            throw new ChatFormatException($"Last message must be from user, got {turns[^1].Role.ToRoleName()}");
        }

        var ids = new List<int>();
        for (var i = 0; i + 1 < turns.Count; i += 2)
        {
            var prompt = PythonStrings.Strip(turns[i].Content);
            var answer = PythonStrings.Strip(turns[i + 1].Content);
            ids.AddRange(tokenizer.Encode($"{BeginInstruction} {prompt} {EndInstruction} {answer} ", bos: true, eos: true));
        }

        ids.AddRange(tokenizer.Encode($"{BeginInstruction} {PythonStrings.Strip(turns[^1].Content)} {EndInstruction}", bos: true, eos: false));
        return new ChatPrompt(ids, hasSpecialTags);
    }

    /// <summary>
    /// The next prompt of a dialog whose tokens so far are <paramref name="dialogTokens"/>: an earlier prompt followed
    /// by the reply's tokens as the model generated them. The reply is closed with end-of-sequence, then
    /// <paramref name="user"/> opens the next instruction as <see cref="Encode"/> would. Meta's format re-encodes the
    /// reply's text instead, which gives the same text but, for a sampled reply, not always the same tokens.
    /// </summary>
    public ChatPrompt Continue(IReadOnlyList<int> dialogTokens, string user)
    {
        ArgumentNullException.ThrowIfNull(dialogTokens);
        ArgumentNullException.ThrowIfNull(user);
        if (dialogTokens.Count == 0 || dialogTokens[0] != tokenizer.BosId)
        {
            throw new ArgumentException("The dialog's tokens must start with a prompt, which begins with the BOS token.", nameof(dialogTokens));
        }

        var hasSpecialTags = SpecialTags.Any(tag => user.Contains(tag, StringComparison.Ordinal));
        List<int> ids = [.. dialogTokens, tokenizer.EosId];
        ids.AddRange(tokenizer.Encode($"{BeginInstruction} {PythonStrings.Strip(user)} {EndInstruction}", bos: true, eos: false));
        return new ChatPrompt(ids, hasSpecialTags);
    }

    private static IReadOnlyList<Message> MergeSystem(IReadOnlyList<Message> dialog)
    {
        if (dialog[0].Role != Role.System)
        {
            return dialog;
        }

        if (dialog.Count == 1)
        {
            // Meta fails with an IndexError here; this says what is missing.
            throw new ChatFormatException($"Last message must be from user, got {RoleNames.System}");
        }

        // Meta keeps the second message's role, so a system message followed by anything but a user fails the role check.
        var merged = dialog[1] with { Content = BeginSystem + dialog[0].Content + EndSystem + dialog[1].Content };
        return [merged, .. dialog.Skip(2)];
    }
}
