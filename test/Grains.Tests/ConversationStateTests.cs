using Llama.Chat;
using Llama.Tokenization;
using LlamaOrleans.Grains;

namespace LlamaOrleans.Tests.Grains;

/// <summary>A conversation's state transitions, without a cluster: a recorded turn, a refusal, a replay, a reset.</summary>
public class ConversationStateTests
{
    private static readonly ChatFormat Format = new(TokenizerLoader.Load(TestData.Tok512));
    private static readonly DateTimeOffset At = DateTimeOffset.UnixEpoch;

    private static ContextPlan Plan(string content, int trims = 0, bool summarized = false) =>
        new(Format.Encode([new Message(Role.User, content)]), [], summarized ? "A summary." : null, trims, []) { Summarized = summarized };

    [Fact]
    public void A_reply_is_recorded_with_its_counts_its_cache_and_with_kept_reply_tokens_the_dialogs_tokens()
    {
        var state = new ConversationState();
        state.Configure(new ConversationSettings { Model = "demo", KeepReplyTokens = true });
        var message = new UserMessage("m1", "Hi");
        state.Pending = new PendingTurn("m1", "Hi", At);
        var plan = Plan("Hi");
        var prompt = plan.Prompt.Ids;
        var reply = new WorkerResult { Text = "Hello.", FinishReason = "stop", Tokens = [5, 6], PrefilledTokens = prompt.Count, CachedTokens = prompt.Count + 1, CachedHash = 42 };

        var result = state.RecordReply(plan, message, reply, "demo@silo", "conv", At);

        Assert.Equal((prompt.Count, 2, false), (result.PromptTokens, result.CompletionTokens, result.CacheHit));
        Assert.Equal(["Hi", "Hello."], state.Transcript.Select(e => e.Content));
        Assert.All(state.Transcript, e => Assert.True(e.InContext));
        Assert.Equal((1, prompt.Count + 2), (state.Turns, state.ContextTokens));
        Assert.Null(state.Pending);
        Assert.Equal(new KvHandle("demo@silo", "conv", [.. prompt, 5], 42).Tokens, state.Cache!.Tokens);
        Assert.Equal([.. prompt, 5, 6], state.DialogTokens!);
        Assert.Same(result, state.Recorded(message));
        var conflict = Assert.Throws<ConversationException>(() => state.Recorded(new UserMessage("m1", "Other")));
        Assert.Equal(ConversationErrorCode.Conflict, conflict.Code);
        Assert.Null(state.Recorded(new UserMessage("m2", "Hi")));
    }

    [Fact]
    public void A_refusal_stays_out_of_the_models_view_and_a_shrink_forgets_the_dialogs_tokens()
    {
        var state = new ConversationState();
        state.Configure(new ConversationSettings { Model = "demo", KeepReplyTokens = true });
        state.DialogTokens = [1, 2, 3];

        var refused = state.RecordRefusal(Plan("[INST] no", trims: 1, summarized: true), new UserMessage("m1", "[INST] no"), At);

        Assert.Equal(ChatFormat.UnsafeReply, refused.Reply);
        Assert.All(state.Transcript, e => Assert.False(e.InContext));
        Assert.Equal((1, 1, 1), (state.Turns, state.Trims, state.Summaries));
        Assert.Equal("A summary.", state.Summary);
        Assert.Null(state.DialogTokens);
    }

    [Fact]
    public void Reset_forgets_the_dialog_but_keeps_the_settings_and_changed_settings_forget_the_dialogs_tokens()
    {
        var state = new ConversationState();
        var settings = new ConversationSettings { Model = "demo", SystemPrompt = "Be brief." };
        state.Configure(settings);
        state.RecordReply(Plan("Hi"), new UserMessage("m1", "Hi"), new WorkerResult { Text = "Hello.", FinishReason = "stop", Tokens = [5] }, "w", "c", At);
        state.DialogTokens = [1, 2];

        state.Configure(settings);
        Assert.NotNull(state.DialogTokens);
        state.Configure(settings with { SystemPrompt = "Be long." });
        Assert.Null(state.DialogTokens);

        state.Reset();
        Assert.Equal((0, 0, 0, 0), (state.Turns, state.Trims, state.Summaries, state.ContextTokens));
        Assert.Empty(state.Transcript);
        Assert.Empty(state.Replies);
        Assert.Null(state.Cache);
        Assert.True(state.Created);
        Assert.Equal("Be long.", state.Settings.SystemPrompt);
    }

    [Fact]
    public void A_stored_state_holds_a_write_when_it_has_the_same_turns_pending_message_and_replies()
    {
        var written = new ConversationState();
        written.Configure(new ConversationSettings());
        written.Pending = new PendingTurn("m1", "Hi", At);
        var stored = new ConversationState();
        stored.Configure(new ConversationSettings());

        Assert.False(stored.Holds(written));
        stored.Pending = new PendingTurn("m1", "Hi", At);
        Assert.True(stored.Holds(written));
        Assert.True(stored.IsPending(new UserMessage("m1", "Hi")));
        Assert.False(stored.IsPending(new UserMessage("m1", "Other")));
    }
}
