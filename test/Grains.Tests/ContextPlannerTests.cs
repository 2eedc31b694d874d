using Llama.Chat;
using Llama.Tokenization;
using LlamaOrleans.Grains;

namespace LlamaOrleans.Tests.Grains;

/// <summary>How a conversation fits its context: it grows while it fits, and shrinks with hysteresis when it does not.</summary>
public class ContextPlannerTests
{
    private const int Limit = 512;
    private const int Reserve = 32;
    private const string System = "You tell short stories.";

    private static readonly ChatFormat Format = new(TokenizerLoader.Load(TestData.Tok512));

    private static ContextPlanner Planner(double shrinkTo = 0.5) => new(Format, Limit, Reserve, shrinkTo);

    /// <summary>The transcript after <paramref name="turns"/> turns, every message and reply in context.</summary>
    private static List<TranscriptEntry> Transcript(int turns) =>
        [.. Enumerable.Range(0, turns).SelectMany(i => new[]
        {
            new TranscriptEntry(TranscriptRole.User, $"What did the dog do on day {i}?", $"m{i}", DateTimeOffset.UnixEpoch, true),
            new TranscriptEntry(TranscriptRole.Assistant, $"On day {i} the dog ran to the park and played with a red ball.", $"m{i}", DateTimeOffset.UnixEpoch, true),
        })];

    /// <summary>Meta's encoding of the system prompt, the last <paramref name="kept"/> pairs and the message: the reference.</summary>
    private static int[] Meta(List<TranscriptEntry> transcript, int kept, string message)
    {
        List<Message> dialog = [new(Role.System, System)];
        dialog.AddRange(transcript.Skip(transcript.Count - 2 * kept).Select(e => new Message(e.Role == TranscriptRole.User ? Role.User : Role.Assistant, e.Content)));
        dialog.Add(new Message(Role.User, message));
        return [.. Format.Encode(dialog).Ids];
    }

    [Fact]
    public void A_dialog_that_fits_is_kept_whole()
    {
        var transcript = Transcript(3);

        var plan = Planner().Plan(System, null, transcript, "And then?", ContextPolicy.Trim);

        Assert.Equal(Meta(transcript, 3, "And then?"), plan.Prompt.Ids);
        Assert.Equal(0, plan.Trims);
        Assert.False(plan.Shrunk);
        Assert.All(plan.Transcript, e => Assert.True(e.InContext));
    }

    [Fact]
    public void A_dialog_that_outgrows_the_context_shrinks_to_the_low_water_mark_not_just_enough_to_fit()
    {
        var transcript = Transcript(20);
        var planner = Planner();
        Assert.Equal(256, planner.LowWater);
        Assert.True(Meta(transcript, 20, "And then?").Length + Reserve > Limit);

        var plan = planner.Plan(System, null, transcript, "And then?", ContextPolicy.Trim);

        // The most recent pairs that fit under the mark, and not one more.
        var kept = Enumerable.Range(0, 21).Last(k => Meta(transcript, k, "And then?").Length <= planner.LowWater);
        Assert.Equal(Meta(transcript, kept, "And then?"), plan.Prompt.Ids);
        Assert.Equal(20 - kept, plan.Trims);
        Assert.Equal(2 * (20 - kept), plan.Transcript.Count(e => !e.InContext));
        Assert.Empty(plan.Dropped);
        // The caller's transcript is untouched.
        Assert.All(transcript, e => Assert.True(e.InContext));

        // Just enough to fit would have kept more: that is what the old policy recomputed on every turn.
        var justFit = Planner(shrinkTo: 1).Plan(System, null, transcript, "And then?", ContextPolicy.Trim);
        Assert.True(justFit.Trims < plan.Trims);
        Assert.InRange(justFit.Prompt.Ids.Count, Limit - Reserve - 40, Limit - Reserve);
    }

    [Fact]
    public void After_a_shrink_the_following_turns_extend_the_same_prompt_until_the_next_shrink()
    {
        var shrinks = new Dictionary<double, int>();
        foreach (var shrinkTo in new[] { 0.5, 1.0 })
        {
            var planner = Planner(shrinkTo);
            List<TranscriptEntry> transcript = [];
            int[]? previous = null;
            var extended = 0;
            shrinks[shrinkTo] = 0;
            for (var turn = 0; turn < 60; turn++)
            {
                var message = $"What did the dog do on day {turn}?";
                var plan = planner.Plan(System, null, transcript, message, ContextPolicy.Trim);
                Assert.True(plan.Prompt.Ids.Count + Reserve <= Limit);
                if (plan.Shrunk)
                {
                    shrinks[shrinkTo]++;
                }
                else if (previous is not null)
                {
                    // Unshrunk, the prompt starts with the whole previous one: a worker's cache of it is reused.
                    Assert.Equal(previous, plan.Prompt.Ids.Take(previous.Length));
                    extended++;
                }

                previous = [.. plan.Prompt.Ids];
                transcript = plan.Transcript;
                transcript.Add(new TranscriptEntry(TranscriptRole.User, message, $"m{turn}", DateTimeOffset.UnixEpoch, true));
                transcript.Add(new TranscriptEntry(TranscriptRole.Assistant, $"On day {turn} the dog ran to the park and played with a red ball.", $"m{turn}", DateTimeOffset.UnixEpoch, true));
            }

            Assert.Equal(60 - 1, extended + shrinks[shrinkTo]);
        }

        // Shrinking just enough changes the prompt's start on nearly every turn once full; the low-water mark, rarely.
        Assert.True(shrinks[1.0] >= 40, $"{shrinks[1.0]} shrinks");
        Assert.InRange(shrinks[0.5], 1, 60 / 5);
    }

    [Fact]
    public void Summarize_hands_back_the_dropped_pairs_and_Fail_and_a_message_too_long_are_refused()
    {
        var transcript = Transcript(20);

        var plan = Planner().Plan(System, null, transcript, "And then?", ContextPolicy.Summarize);
        Assert.Equal(2 * plan.Trims, plan.Dropped.Count);
        Assert.Equal(transcript.Take(plan.Dropped.Count).Select(e => e.Content), plan.Dropped.Select(e => e.Content));

        var full = Assert.Throws<ConversationException>(() => Planner().Plan(System, null, transcript, "And then?", ContextPolicy.Fail));
        Assert.Equal(ConversationErrorCode.ContextFull, full.Code);
        var tooLong = Assert.Throws<ConversationException>(() => Planner().Plan(System, null, [], string.Concat(Enumerable.Repeat("The dog ran. ", 200)), ContextPolicy.Trim));
        Assert.Equal(ConversationErrorCode.MessageTooLong, tooLong.Code);
    }

    [Fact]
    public void A_summary_that_alone_leaves_no_room_is_shed()
    {
        var summary = string.Concat(Enumerable.Repeat("The dog ran. ", 30));

        var plan = Planner().Plan(System, summary, Transcript(12), "And then?", ContextPolicy.Trim);

        Assert.True(plan.Prompt.Ids.Count + Reserve <= Limit);
        Assert.True(plan.Trims > 0);
    }

    [Theory]
    [InlineData(null, 512, 256, 64)]
    [InlineData(null, 4096, 256, 256)]
    [InlineData(null, 4096, 100, 100)]
    [InlineData(40, 512, 256, 40)]
    [InlineData(600, 512, 256, 511)]
    public void The_reply_cap_is_the_turns_or_settings_else_the_default_at_most_an_eighth_of_the_context(int? max, int limit, int defaultCap, int expected) =>
        Assert.Equal(expected, ContextPlanner.ResolveMaxReplyTokens(max, limit, defaultCap));

    [Fact]
    public void Bad_planner_arguments_and_options_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ContextPlanner(Format, Limit, 0, 0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ContextPlanner(Format, Limit, Limit, 0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ContextPlanner(Format, Limit, Reserve, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ContextPlanner(Format, Limit, Reserve, 1.5));
        Assert.Equal(
            ["Llama:Conversations:DefaultMaxReplyTokens must be at least 1, got 0.", "Llama:Conversations:ShrinkToFraction must be in (0, 1], got 0."],
            new ConversationOptions { DefaultMaxReplyTokens = 0, ShrinkToFraction = 0 }.Problems("Llama:Conversations"));
        Assert.Empty(new ConversationOptions().Problems("Llama:Conversations"));
    }
}
