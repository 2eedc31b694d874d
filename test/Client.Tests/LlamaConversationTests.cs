using LlamaOrleans.Client.Tests.TestDoubles;

namespace LlamaOrleans.Client.Tests;

public sealed class LlamaConversationTests(ClusterFixture fixture)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private async Task<LlamaConversation> ConfiguredAsync(ConversationSettings? settings = null)
    {
        var conversation = fixture.Client.NewConversation();
        await conversation.ConfigureAsync(settings ?? new ConversationSettings(), Cancel);
        return conversation;
    }

    [Fact]
    public async Task A_sent_message_returns_the_reply_and_enters_the_transcript()
    {
        var conversation = await ConfiguredAsync(new ConversationSettings { SystemPrompt = "be kind" });

        var turn = await conversation.SendAsync("hello there", cancellationToken: Cancel);
        var history = await conversation.HistoryAsync(Cancel);
        var status = await conversation.StatusAsync(Cancel);

        Assert.Equal("echo: hello there", turn.Reply);
        Assert.Equal("stop", turn.FinishReason);
        Assert.Equal(4, turn.PromptTokens); // "be kind" + "hello there"
        Assert.Equal([(TranscriptRole.User, "hello there"), (TranscriptRole.Assistant, "echo: hello there")],
            history.Select(e => (e.Role, e.Content)));
        Assert.Equal(turn.MessageId, history[0].MessageId);
        Assert.Equal(conversation.Id, status.ConversationId);
        Assert.Equal(1, status.Turns);
        Assert.Equal(7, status.ContextTokens);
    }

    [Fact]
    public async Task A_repeated_message_id_returns_the_recorded_reply_and_new_ids_are_generated_otherwise()
    {
        var conversation = await ConfiguredAsync();

        var first = await conversation.SendAsync("same", "m-1", Cancel);
        var retry = await conversation.SendAsync("same", "m-1", Cancel);
        var a = await conversation.SendAsync("same", cancellationToken: Cancel);
        var b = await conversation.SendAsync("same", cancellationToken: Cancel);

        Assert.Equal("m-1", first.MessageId);
        Assert.False(first.Replayed);
        Assert.True(retry.Replayed);
        Assert.Equal(first.Reply, retry.Reply);
        Assert.False(a.Replayed);
        Assert.False(b.Replayed);
        Assert.NotEqual(a.MessageId, b.MessageId);
        Assert.Equal(3, (await conversation.StatusAsync(Cancel)).Turns);
    }

    [Fact]
    public async Task A_streamed_reply_arrives_in_pieces_and_its_last_delta_carries_the_turn()
    {
        var conversation = await ConfiguredAsync();

        var deltas = new List<ReplyDelta>();
        await foreach (var delta in conversation.StreamAsync("one two three", "s-1", Cancel))
        {
            deltas.Add(delta);
        }

        Assert.True(deltas.Count > 2);
        Assert.All(deltas[..^1], d => Assert.Null(d.Completed));
        var turn = Assert.IsType<TurnResult>(deltas[^1].Completed);
        Assert.Equal("s-1", turn.MessageId);
        Assert.Equal(turn.Reply, string.Concat(deltas.Select(d => d.Text)));
        Assert.Equal("echo: one two three", turn.Reply);
    }

    [Fact]
    public async Task Updating_settings_creates_a_missing_conversation_and_configures_only_on_change()
    {
        var conversation = fixture.Client.NewConversation();

        var created = await conversation.UpdateSettingsAsync(s => s with { SystemPrompt = "hi" }, Cancel);
        var unchanged = await conversation.UpdateSettingsAsync(s => s with { SystemPrompt = "hi" }, Cancel);
        Assert.Equal(1, EchoConversationGrain.ConfigureCalls(conversation.Id));
        var changed = await conversation.UpdateSettingsAsync(s => s with { Temperature = 0 }, Cancel);

        Assert.Equal(new ConversationSettings { SystemPrompt = "hi" }, created.Settings);
        Assert.Equal(created.Settings, unchanged.Settings);
        Assert.Equal(new ConversationSettings { SystemPrompt = "hi", Temperature = 0 }, changed.Settings);
        Assert.Equal(2, EchoConversationGrain.ConfigureCalls(conversation.Id));
    }

    [Fact]
    public async Task Reset_forgets_the_dialog_and_delete_forgets_the_conversation()
    {
        var conversation = await ConfiguredAsync(new ConversationSettings { Model = "demo", SystemPrompt = "stay" });
        await conversation.SendAsync("hello", cancellationToken: Cancel);

        await conversation.ResetAsync(Cancel);
        Assert.Empty(await conversation.HistoryAsync(Cancel));
        Assert.Equal("stay", (await conversation.StatusAsync(Cancel)).Settings.SystemPrompt);

        await conversation.DeleteAsync(Cancel);
        var e = await Assert.ThrowsAsync<ConversationException>(() => conversation.StatusAsync(Cancel));
        Assert.Equal(ConversationErrorCode.NotFound, e.Code);
    }

    [Fact]
    public async Task Sending_to_a_new_id_creates_the_conversation_with_the_default_settings_as_the_chat_client_does()
    {
        var sent = fixture.Client.NewConversation();
        var streamed = fixture.Client.NewConversation();
        var chatted = fixture.Client.NewConversation();

        var turn = await sent.SendAsync("hello", cancellationToken: Cancel);
        var deltas = new List<ReplyDelta>();
        await foreach (var delta in streamed.StreamAsync("hello", cancellationToken: Cancel))
        {
            deltas.Add(delta);
        }

        await fixture.Client.AsChatClient(chatted.Id).GetResponseAsync([new(Microsoft.Extensions.AI.ChatRole.User, "hello")], cancellationToken: Cancel);

        Assert.Equal("echo: hello", turn.Reply);
        Assert.Equal("echo: hello", string.Concat(deltas.Select(d => d.Text)));
        foreach (var conversation in new[] { sent, streamed, chatted })
        {
            var status = await conversation.StatusAsync(Cancel);
            Assert.Equal(new ConversationSettings(), status.Settings);
            Assert.Equal(1, status.Turns);
        }
    }

    [Fact]
    public async Task Refusals_arrive_as_conversation_exceptions_with_their_code()
    {
        var conversation = fixture.Client.NewConversation();

        var notFound = await Assert.ThrowsAsync<ConversationException>(() => conversation.StatusAsync(Cancel));
        var unknownModel = await Assert.ThrowsAsync<ConversationException>(() =>
            conversation.ConfigureAsync(new ConversationSettings { Model = EchoConversationGrain.MissingModel }, Cancel));
        await conversation.ConfigureAsync(new ConversationSettings(), Cancel);
        var full = await Assert.ThrowsAsync<ConversationException>(async () =>
        {
            await foreach (var _ in conversation.StreamAsync("an overflow", cancellationToken: Cancel))
            {
            }
        });

        Assert.Equal(ConversationErrorCode.NotFound, notFound.Code);
        Assert.Equal(ConversationErrorCode.UnknownModel, unknownModel.Code);
        Assert.Contains("'missing'", unknownModel.Message, StringComparison.Ordinal);
        Assert.Equal(ConversationErrorCode.ContextFull, full.Code);
        Assert.Empty(await conversation.HistoryAsync(Cancel));
    }

    [Fact]
    public void Bad_arguments_are_refused_before_anything_is_sent()
    {
        var client = fixture.Client;
        var conversation = client.NewConversation();

        Assert.Throws<ArgumentNullException>(() => client.Conversation(null!));
        Assert.Throws<ArgumentException>(() => client.Conversation(" "));
        Assert.Throws<ArgumentException>(() => client.Conversation("a\nb"));
        Assert.Throws<ArgumentNullException>(() => new LlamaOrleansClient(null!));
        Assert.Throws<ArgumentNullException>(() => { _ = conversation.SendAsync(null!, cancellationToken: Cancel); });
        Assert.Throws<ArgumentException>(() => { _ = conversation.SendAsync(" \n", cancellationToken: Cancel); });
        Assert.Throws<ArgumentException>(() => { _ = conversation.SendAsync("hi", "", Cancel); });
        // Validation of a stream happens at the call, not at the first MoveNext.
        Assert.Throws<ArgumentException>(() => { _ = conversation.StreamAsync("", cancellationToken: Cancel); });
        Assert.Throws<ArgumentNullException>(() => { _ = conversation.ConfigureAsync(null!, Cancel); });
        Assert.Throws<ArgumentException>(() => { _ = conversation.ConfigureAsync(new ConversationSettings { Model = "" }, Cancel); });
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = conversation.ConfigureAsync(new ConversationSettings { Temperature = -0.1f }, Cancel); });
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = conversation.ConfigureAsync(new ConversationSettings { Temperature = float.NaN }, Cancel); });
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = conversation.ConfigureAsync(new ConversationSettings { TopP = 0 }, Cancel); });
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = conversation.ConfigureAsync(new ConversationSettings { TopP = 1.5f }, Cancel); });
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = conversation.ConfigureAsync(new ConversationSettings { MaxReplyTokens = 0 }, Cancel); });
        Assert.Equal(0, EchoConversationGrain.ConfigureCalls(conversation.Id));
    }
}
