using LlamaOrleans.Client.Tests.TestDoubles;
using Microsoft.Extensions.AI;
using AIChatMessage = Microsoft.Extensions.AI.ChatMessage;
using AIChatRole = Microsoft.Extensions.AI.ChatRole;

namespace LlamaOrleans.Client.Tests;

public sealed class ChatClientTests(ClusterFixture fixture)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private LlamaOrleansChatClient NewChatClient() => fixture.Client.AsChatClient(LlamaOrleansClient.NewConversationId());

    [Fact]
    public async Task Only_the_newest_user_message_is_sent_and_system_messages_become_the_system_prompt()
    {
        using var chat = NewChatClient();
        AIChatMessage[] messages =
        [
            new(AIChatRole.System, "Be brief."),
            new(AIChatRole.User, "an earlier question"),
            new(AIChatRole.Assistant, "an earlier answer"),
            new(AIChatRole.User, "hello"),
        ];

        var response = await chat.GetResponseAsync(messages, cancellationToken: Cancel);
        var conversation = fixture.Client.Conversation(chat.ConversationId);

        Assert.Equal("echo: hello", response.Text);
        Assert.Equal(AIChatRole.Assistant, Assert.Single(response.Messages).Role);
        Assert.Equal(chat.ConversationId, response.ConversationId);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal("demo", response.ModelId);
        Assert.Equal(["hello", "echo: hello"], (await conversation.HistoryAsync(Cancel)).Select(e => e.Content));
        Assert.Equal("Be brief.", (await conversation.StatusAsync(Cancel)).Settings.SystemPrompt);
    }

    [Fact]
    public async Task Chat_options_become_settings_and_usage_and_finish_reason_are_mapped()
    {
        using var chat = NewChatClient();
        var options = new ChatOptions
        {
            ModelId = "other",
            Temperature = 0.25f,
            TopP = 0.5f,
            MaxOutputTokens = 2,
            Seed = -1,
            Instructions = "Answer in French.",
        };

        var response = await chat.GetResponseAsync([new(AIChatRole.System, "Be brief."), new(AIChatRole.User, "one two three")], options, Cancel);
        var status = await fixture.Client.Conversation(chat.ConversationId).StatusAsync(Cancel);

        Assert.Equal(new ConversationSettings
        {
            Model = "other",
            Temperature = 0.25f,
            TopP = 0.5f,
            MaxReplyTokens = 2,
            Seed = ulong.MaxValue,
            SystemPrompt = "Be brief.\n\nAnswer in French.",
        }, status.Settings);
        Assert.Equal("echo: one", response.Text);
        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
        Assert.Equal("other", response.ModelId);
        var turn = Assert.IsType<TurnResult>(response.RawRepresentation);
        Assert.Equal(turn.MessageId, response.ResponseId);
        var usage = Assert.IsType<UsageDetails>(response.Usage);
        Assert.Equal(8, usage.InputTokenCount); // 5 words of system prompt + 3 of the message
        Assert.Equal(2, usage.OutputTokenCount);
        Assert.Equal(10, usage.TotalTokenCount);
        Assert.Equal(5, usage.CachedInputTokenCount); // the double prefills only the new message
    }

    [Fact]
    public async Task Unchanged_options_do_not_reconfigure_and_unset_ones_keep_the_conversation_settings()
    {
        using var chat = NewChatClient();
        var options = new ChatOptions { Temperature = 0 };

        await chat.GetResponseAsync([new(AIChatRole.User, "first")], options, Cancel);
        await chat.GetResponseAsync([new(AIChatRole.User, "second")], options, Cancel);
        await chat.GetResponseAsync([new(AIChatRole.User, "third")], cancellationToken: Cancel);

        Assert.Equal(1, EchoConversationGrain.ConfigureCalls(chat.ConversationId));
        var status = await fixture.Client.Conversation(chat.ConversationId).StatusAsync(Cancel);
        Assert.Equal(0, status.Settings.Temperature);
        Assert.Equal(3, status.Turns);
    }

    [Fact]
    public async Task The_conversation_id_of_the_options_overrides_the_clients_own()
    {
        using var chat = NewChatClient();
        var other = LlamaOrleansClient.NewConversationId();

        var response = await chat.GetResponseAsync([new(AIChatRole.User, "hi")], new ChatOptions { ConversationId = other }, Cancel);

        Assert.Equal(other, response.ConversationId);
        Assert.Single(await fixture.Client.Conversation(other).HistoryAsync(Cancel), e => e.Role == TranscriptRole.User);
        var notFound = await Assert.ThrowsAsync<ConversationException>(() => fixture.Client.Conversation(chat.ConversationId).StatusAsync(Cancel));
        Assert.Equal(ConversationErrorCode.NotFound, notFound.Code);
    }

    [Fact]
    public async Task A_repeated_user_message_id_returns_the_recorded_reply()
    {
        using var chat = NewChatClient();
        var message = new AIChatMessage(AIChatRole.User, "hello") { MessageId = "user-1" };

        var first = await chat.GetResponseAsync([message], cancellationToken: Cancel);
        var again = await chat.GetResponseAsync([message], cancellationToken: Cancel);

        Assert.Equal("user-1", first.ResponseId);
        Assert.False(Assert.IsType<TurnResult>(first.RawRepresentation).Replayed);
        Assert.True(Assert.IsType<TurnResult>(again.RawRepresentation).Replayed);
        Assert.Equal(first.Text, again.Text);
        Assert.Equal(1, (await fixture.Client.Conversation(chat.ConversationId).StatusAsync(Cancel)).Turns);
    }

    [Fact]
    public async Task A_streamed_response_carries_the_text_then_finish_reason_and_usage()
    {
        using var chat = NewChatClient();

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in chat.GetStreamingResponseAsync([new(AIChatRole.User, "one two three")], new ChatOptions { ModelId = "m" }, Cancel))
        {
            updates.Add(update);
        }

        Assert.True(updates.Count > 2);
        Assert.All(updates, u =>
        {
            Assert.Equal(AIChatRole.Assistant, u.Role);
            Assert.Equal(chat.ConversationId, u.ConversationId);
            Assert.Equal("m", u.ModelId);
        });
        Assert.All(updates[..^1], u => Assert.Null(u.FinishReason));
        Assert.Equal(ChatFinishReason.Stop, updates[^1].FinishReason);
        var response = updates.ToChatResponse();
        Assert.Equal("echo: one two three", response.Text);
        Assert.Equal(3, response.Usage?.InputTokenCount);
        Assert.Equal(4, response.Usage?.OutputTokenCount);
    }

    [Fact]
    public async Task Messages_that_do_not_end_with_a_user_text_are_refused()
    {
        using var chat = NewChatClient();

        var notUser = await Assert.ThrowsAsync<ArgumentException>(() =>
            chat.GetResponseAsync([new(AIChatRole.User, "hi"), new(AIChatRole.Assistant, "hello")], cancellationToken: Cancel));
        await Assert.ThrowsAsync<ArgumentException>(() => chat.GetResponseAsync([], cancellationToken: Cancel));
        await Assert.ThrowsAsync<ArgumentException>(() =>
            chat.GetResponseAsync([new AIChatMessage(AIChatRole.User, [new DataContent(new byte[] { 1 }, "image/png")])], cancellationToken: Cancel));
        await Assert.ThrowsAsync<ArgumentNullException>(() => chat.GetResponseAsync(null!, cancellationToken: Cancel));
        Assert.Throws<ArgumentException>(() => chat.GetStreamingResponseAsync([new(AIChatRole.System, "x")], cancellationToken: Cancel));
        await Assert.ThrowsAsync<ArgumentException>(() =>
            chat.GetResponseAsync([new(AIChatRole.User, "hi")], new ChatOptions { ConversationId = " " }, Cancel));
        Assert.Throws<ArgumentException>(() => fixture.Client.AsChatClient(""));

        Assert.Contains("user", notUser.Message, StringComparison.Ordinal);
        Assert.Equal(0, EchoConversationGrain.ConfigureCalls(chat.ConversationId));
    }

    [Fact]
    public async Task Refusals_of_the_conversation_reach_the_caller()
    {
        using var chat = NewChatClient();

        var e = await Assert.ThrowsAsync<ConversationException>(() =>
            chat.GetResponseAsync([new(AIChatRole.User, "hi")], new ChatOptions { ModelId = EchoConversationGrain.MissingModel }, Cancel));

        Assert.Equal(ConversationErrorCode.UnknownModel, e.Code);
    }

    [Fact]
    public void Services_offer_metadata_the_client_and_itself()
    {
        using IChatClient chat = NewChatClient();

        Assert.Equal(LlamaOrleansChatClient.ProviderName, chat.GetService<ChatClientMetadata>()?.ProviderName);
        Assert.NotNull(chat.GetService<LlamaOrleansClient>());
        Assert.Same(chat, chat.GetService<LlamaOrleansChatClient>());
        Assert.Same(chat, chat.GetService<IChatClient>());
        Assert.Null(chat.GetService<ChatClientMetadata>("key"));
        Assert.Null(chat.GetService<string>());
    }

    [Theory]
    [InlineData("stop", "stop")]
    [InlineData("length", "length")]
    [InlineData("cancelled", "cancelled")]
    [InlineData("", null)]
    public void Finish_reasons_map_to_their_extension_values(string reason, string? expected) =>
        Assert.Equal(expected, LlamaOrleansChatClient.FinishReason(reason)?.Value);
}
