using Llama.Chat;
using Llama.Generation;

namespace LlamaOrleans.Cluster.Tests;

/// <summary>The engine itself, outside Orleans: what a greedy conversation's replies must be.</summary>
internal static class Reference
{
    public const int ReplyTokens = 24;

    private static readonly Lazy<LlamaGenerator> Engine = new(() => LlamaGenerator.Build(TestData.Model, TestData.Tok512, 512, 1));
    private static readonly Lock EngineLock = new();

    /// <summary>Greedy settings with a short reply, on the demo model.</summary>
    public static ConversationSettings Greedy { get; } = GreedyWith(ReplyTokens);

    public static ConversationSettings GreedyWith(int replyTokens) =>
        new() { Model = "demo", SystemPrompt = "You tell short stories.", Temperature = 0, MaxReplyTokens = replyTokens };

    /// <summary>The replies to <paramref name="messages"/>, in turn, of a conversation with <see cref="GreedyWith"/> settings.</summary>
    public static IReadOnlyList<string> Replies(IReadOnlyList<string> messages, int replyTokens = ReplyTokens)
    {
        lock (EngineLock)
        {
            var engine = Engine.Value;
            var dialog = new List<Message> { new(Role.System, Greedy.SystemPrompt!) };
            var replies = new List<string>();
            foreach (var message in messages)
            {
                dialog.Add(new Message(Role.User, message));
                var prompt = engine.ChatFormat.Encode(dialog).Ids.Count;
                var reply = engine.ChatCompletion([dialog], temperature: 0, maxGenLen: Math.Min(replyTokens, 512 - prompt))[0].Generation.Content;
                replies.Add(reply);
                dialog.Add(new Message(Role.Assistant, reply));
            }

            return replies;
        }
    }
}
