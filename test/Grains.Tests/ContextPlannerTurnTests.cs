using Llama.Chat;
using Llama.Tokenization;
using LlamaOrleans.Grains;

namespace LlamaOrleans.Tests.Grains;

/// <summary>
/// A whole turn's decisions, without a cluster: summarizing what a shrink drops, continuing from the last turn's
/// tokens, the reply's room, and the summary request; each checked against Meta's encoding of the expected dialog.
/// </summary>
public class ContextPlannerTurnTests
{
    private const int Limit = 512;
    private const int MaxReply = 32;
    private const string System = "You tell short stories.";
    private const string Folded = "The dog played in the park every day.";

    private static readonly ChatFormat Format = new(TokenizerLoader.Load(TestData.Tok512));

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static ContextPlanner Planner() => new(Format, Limit, MaxReply, 0.5);

    private static List<TranscriptEntry> Transcript(int turns) =>
        [.. Enumerable.Range(0, turns).SelectMany(i => new[]
        {
            new TranscriptEntry(TranscriptRole.User, $"What did the dog do on day {i}?", $"m{i}", DateTimeOffset.UnixEpoch, true),
            new TranscriptEntry(TranscriptRole.Assistant, $"On day {i} the dog ran to the park and played with a red ball.", $"m{i}", DateTimeOffset.UnixEpoch, true),
        })];

    [Fact]
    public async Task Summarize_folds_the_dropped_pairs_into_the_system_prompt_once_and_plans_again()
    {
        var transcript = Transcript(20);
        var calls = new List<(string? Previous, int Dropped)>();

        var plan = await Planner().PlanTurnAsync(System, null, transcript, "And then?", ContextPolicy.Summarize, (previous, dropped, _) =>
        {
            calls.Add((previous, dropped.Count));
            return Task.FromResult(Folded);
        }, Cancel);

        var kept = plan.Transcript.Count(e => e.InContext) / 2;
        Assert.Equal([(null, 2 * plan.Trims)], calls);
        Assert.True(plan.Summarized);
        Assert.Empty(plan.Dropped);
        Assert.Equal(Folded, plan.Summary);
        List<Message> dialog = [new(Role.System, $"{System}\n\n{ContextWindow.SummaryIntro}{Folded}")];
        dialog.AddRange(transcript.Skip(transcript.Count - 2 * kept).Select(e => new Message(e.Role == TranscriptRole.User ? Role.User : Role.Assistant, e.Content)));
        dialog.Add(new Message(Role.User, "And then?"));
        Assert.Equal(Format.Encode(dialog).Ids, plan.Prompt.Ids);
        Assert.True(plan.Prompt.Ids.Count + MaxReply <= Limit);
    }

    [Fact]
    public async Task A_dialog_that_fits_is_not_summarized_and_Trim_never_asks_for_a_summary()
    {
        Task<string> Never(string? previous, IReadOnlyList<TranscriptEntry> dropped, CancellationToken token) =>
            throw new InvalidOperationException("No summary was due.");

        var fits = await Planner().PlanTurnAsync(System, "Earlier facts.", Transcript(2), "And then?", ContextPolicy.Summarize, Never, Cancel);
        var trimmed = await Planner().PlanTurnAsync(System, null, Transcript(20), "And then?", ContextPolicy.Trim, Never, Cancel);

        Assert.False(fits.Summarized);
        Assert.Equal("Earlier facts.", fits.Summary);
        Assert.True(trimmed.Trims > 0);
        Assert.False(trimmed.Summarized);
    }

    [Fact]
    public void A_turn_continues_from_the_last_turns_tokens_only_while_the_dialog_is_otherwise_unchanged_and_fits()
    {
        var planner = Planner();
        var transcript = Transcript(2);
        var plan = planner.Plan(System, null, transcript, "And then?", ContextPolicy.Trim);
        // The last prompt and a reply whose tokens are not its text's usual encoding (a sampled reply can be so).
        int[] dialog = [.. Format.Encode([new Message(Role.System, System), new Message(Role.User, "Hi")]).Ids, 7, 8, 9];

        var continued = planner.Continue(plan, null, dialog, "And then?");

        Assert.Equal(Format.Continue(dialog, "And then?").Ids, continued.Ids);
        Assert.Equal(plan.Prompt.Ids, planner.Continue(plan, null, null, "And then?").Ids);
        Assert.Equal(plan.Prompt.Ids, planner.Continue(plan with { Trims = 1 }, null, dialog, "And then?").Ids);
        Assert.Equal(plan.Prompt.Ids, planner.Continue(plan, "an older summary", dialog, "And then?").Ids);
        int[] tooLong = [.. dialog, .. Enumerable.Repeat(5, Limit - MaxReply)];
        Assert.Equal(plan.Prompt.Ids, planner.Continue(plan, null, tooLong, "And then?").Ids);
    }

    [Fact]
    public void The_reply_gets_its_cap_or_what_the_context_has_left()
    {
        var planner = Planner();

        Assert.Equal(MaxReply, planner.ReplyTokensFor(100));
        Assert.Equal(10, planner.ReplyTokensFor(Limit - 10));
    }

    [Fact]
    public void The_summary_request_drops_the_oldest_lines_until_the_summary_has_room()
    {
        var planner = Planner();
        var dropped = Transcript(30);

        var prompt = planner.SummaryPrompt("The dog has a red ball.", dropped);

        Assert.True(prompt.Ids.Count + ContextPlanner.SummaryTokens <= Limit);
        Assert.Equal(ContextPlanner.SummaryTokens, planner.SummaryTokensFor(prompt));
        // Meta's encoding of the newest lines that fit, the earlier summary among the lines dropped.
        var lines = dropped.Select(e => $"{(e.Role == TranscriptRole.User ? "User" : "Assistant")}: {e.Content}").ToList();
        var kept = Enumerable.Range(1, lines.Count).Select(n => Request(lines.TakeLast(n))).TakeWhile(p => p.Ids.Count + ContextPlanner.SummaryTokens <= Limit).Last();
        Assert.Equal(kept.Ids, prompt.Ids);

        var small = planner.SummaryPrompt("The dog has a red ball.", Transcript(1));
        Assert.Equal(Request(["Earlier: The dog has a red ball.", .. lines.Take(2)]).Ids, small.Ids);
    }

    private static ChatPrompt Request(IEnumerable<string> lines) => Format.Encode(
    [
        new Message(Role.System, "You summarize conversations briefly, keeping names and facts."),
        new Message(Role.User, "Summarize this conversation:\n" + string.Join('\n', lines)),
    ]);
}
