using Llama.Chat;
using Llama.Generation;

namespace LlamaOrleans.Grains.Tests;

[Collection(nameof(ClusterCollection))]
public sealed class ScaleTests(ClusterFixture fixture) : IDisposable
{
    private const int Limit = 512;
    private readonly LlamaGenerator _engine = LlamaGenerator.Build(TestData.Model, TestData.Tok512, 512, 1);

    public void Dispose() => _engine.Dispose();

    private Task<IConversationGrain> Create(ConversationSettings settings) => fixture.CreateConversation(settings);

    [Fact]
    public async Task A_hundred_turns_never_fail_and_trim_exactly_as_computed_independently()
    {
        const int Reserve = 40;
        const string System = "You tell short stories.";
        var conversation = await Create(new ConversationSettings
        {
            Model = ClusterFixture.Model,
            SystemPrompt = System,
            Temperature = 0,
            MaxReplyTokens = Reserve,
            ContextPolicy = ContextPolicy.Trim,
        });
        var pairs = new List<(string User, string Assistant)>();
        var firstInContext = 0;

        for (var turn = 0; turn < 100; turn++)
        {
            var text = $"Tell me part {turn} of the story about Tom.";
            var result = await conversation.Send(new UserMessage($"t{turn}", text));

            // Independently: when Meta's prompt leaves no room for the reply, drop the oldest pairs until it takes at
            // most half the context (the default low-water mark).
            List<Message> Dialog() => [new(Role.System, System), .. pairs.Skip(firstInContext).SelectMany(p =>
                new[] { new Message(Role.User, p.User), new Message(Role.Assistant, p.Assistant) }), new(Role.User, text)];
            if (_engine.ChatFormat.Encode(Dialog()).Ids.Count + Reserve > Limit)
            {
                while (_engine.ChatFormat.Encode(Dialog()).Ids.Count > Limit / 2)
                {
                    firstInContext++;
                }
            }

            Assert.Equal(_engine.ChatFormat.Encode(Dialog()).Ids.Count, result.PromptTokens);
            var status = await conversation.GetStatus();
            Assert.True(status.ContextTokens <= Limit, $"turn {turn}: {status.ContextTokens} tokens");
            Assert.Equal(firstInContext, status.Trims);
            pairs.Add((text, result.Reply));
        }

        var history = await conversation.GetHistory();
        Assert.Equal(200, history.Count);
        Assert.Equal(firstInContext * 2, history.Count(e => !e.InContext));
        Assert.True(firstInContext > 10);
    }

    [Fact]
    public async Task After_a_shrink_to_the_low_water_mark_the_following_turns_reuse_the_cache()
    {
        var conversation = await Create(new ConversationSettings
        {
            Model = ClusterFixture.Model,
            SystemPrompt = "You tell short stories.",
            Temperature = 0,
            MaxReplyTokens = 24,
        });
        var (shrinks, reusedBetween, trims, previousPrompt) = (0, 0, 0, 0);

        for (var turn = 0; shrinks < 2 && turn < 60; turn++)
        {
            var result = await conversation.Send(new UserMessage($"t{turn}", $"Tell me part {turn} of the story about Tom."));
            var status = await conversation.GetStatus();
            if (status.Trims > trims)
            {
                // The shrink goes down to half the context; its start changed, so most of it is computed, and said so.
                Assert.InRange(result.PromptTokens, 1, Limit / 2);
                Assert.False(result.CacheHit, $"turn {turn}: {result.PrefilledTokens} of {result.PromptTokens} computed");
                shrinks++;
            }
            else if (turn > 0)
            {
                // The whole previous prompt comes from the cache; only the reply (re-encoded) and the message are computed.
                Assert.True(result.CacheHit);
                Assert.True(result.PrefilledTokens <= result.PromptTokens - previousPrompt, $"turn {turn} computed {result.PrefilledTokens} of {result.PromptTokens}");
                reusedBetween += shrinks == 1 ? 1 : 0;
            }

            (trims, previousPrompt) = (status.Trims, result.PromptTokens);
        }

        Assert.Equal(2, shrinks);
        Assert.True(reusedBetween >= 3, $"{reusedBetween} turns reused the cache between the shrinks");
    }

    [Fact]
    public async Task With_context_shift_trimmed_turns_reuse_the_cache_of_the_turns_that_stay()
    {
        const int Reserve = 40;
        ConversationSettings Settings(bool shift) => new()
        {
            Model = ClusterFixture.Model,
            Temperature = 0,
            MaxReplyTokens = Reserve,
            ContextShift = shift,
        };
        var shifted = await Create(Settings(shift: true));
        var exact = await Create(Settings(shift: false));
        var compared = 0;
        var (trims, exactTrims) = (0, 0);

        for (var turn = 0; turn < 45; turn++)
        {
            var message = new UserMessage($"t{turn}", $"Tell me part {turn} of the story about Tom.");
            var withShift = await shifted.Send(message);
            var withoutShift = await exact.Send(message);
            var (status, exactStatus) = (await shifted.GetStatus(), await exact.GetStatus());
            Assert.True(status.ContextTokens <= Limit, $"turn {turn}: {status.ContextTokens} tokens");
            // Shifted keys only approximate recomputed ones, so replies (and with them trims) may part ways: compare
            // the turns where both trimmed to the same prompt. Without a system prompt only its first few tokens stay
            // in place, so recomputing costs most of it, while the shift keeps the turns that stay.
            if (status.Trims > trims && exactStatus.Trims > exactTrims && withShift.PromptTokens == withoutShift.PromptTokens)
            {
                Assert.True(withShift.PrefilledTokens < withoutShift.PrefilledTokens,
                    $"turn {turn}: shifted prefilled {withShift.PrefilledTokens}, recomputed {withoutShift.PrefilledTokens} of {withShift.PromptTokens}");
                compared++;
            }

            (trims, exactTrims) = (status.Trims, exactStatus.Trims);
        }

        // Shrinks come every few turns (down to the low-water mark), so fewer turns trim than when each trimmed just enough.
        Assert.True(compared >= 3, $"{compared} turns compared");
        var worker = await fixture.Grains.GetGrain<IModelWorkerGrain>((await shifted.GetStatus()).CacheWorker!).GetStats();
        Assert.True(worker.ContextShifts >= compared);
    }

    [Fact]
    public async Task The_summarize_policy_carries_a_summary_and_stays_within_the_context()
    {
        var conversation = await Create(new ConversationSettings
        {
            Model = ClusterFixture.Model,
            SystemPrompt = "You tell stories.",
            Temperature = 0,
            MaxReplyTokens = 60,
            ContextPolicy = ContextPolicy.Summarize,
        });

        ConversationStatus status;
        var turn = 0;
        do
        {
            await conversation.Send(new UserMessage($"t{turn}", $"What happened on day {turn}?"));
            status = await conversation.GetStatus();
            Assert.True(status.ContextTokens <= Limit);
        }
        while (status.Summaries == 0 && ++turn < 40);

        Assert.True(status.Summaries > 0);
        Assert.False(string.IsNullOrWhiteSpace(status.Summary));
        Assert.True(status.Trims > 0);
        var next = await conversation.Send(new UserMessage("after", "And the next day?"));
        Assert.False(string.IsNullOrEmpty(next.Reply));
    }

    [Fact]
    public async Task Fifty_concurrent_conversations_get_their_single_conversation_replies_on_hosting_silos_only()
    {
        var settings = new ConversationSettings { Model = ClusterFixture.Model, Temperature = 0, MaxReplyTokens = 30 };
        var topics = Enumerable.Range(0, 50).Select(i => $"Tell me about animal number {i}.").ToArray();
        var conversations = await Task.WhenAll(topics.Select(_ => Create(settings)));

        var replies = await Task.WhenAll(conversations.Select((c, i) => c.Send(new UserMessage("m", topics[i]))));

        for (var i = 0; i < topics.Length; i++)
        {
            var expected = _engine.ChatCompletion([[new Message(Role.User, topics[i])]], temperature: 0, maxGenLen: 30)[0].Generation.Content;
            Assert.Equal(expected, replies[i].Reply);
        }

        var hosts = await fixture.Grains.GetGrain<IModelRegistryGrain>(0).GetHosts(ClusterFixture.Model);
        Assert.Equal(2, hosts.Length);
        var workers = (await Task.WhenAll(conversations.Select(c => c.GetStatus()))).Select(s => s.CacheWorker!).Distinct().ToArray();
        Assert.Equal(2, workers.Length);
        Assert.All(workers, w => Assert.Contains(ModelWorkerKey.Parse(w).Silo, hosts));
        var nonHosting = fixture.Cluster.GetActiveSilos().Select(s => s.SiloAddress.ToParsableString()).Except(hosts).Single();
        Assert.DoesNotContain(workers, w => ModelWorkerKey.Parse(w).Silo == nonHosting);
    }
}
