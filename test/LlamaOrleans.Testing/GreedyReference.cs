using System.Text.Json;

namespace LlamaOrleans.Testing;

/// <summary>test/data/reference/greedy.json: greedy generations confirmed against llama2.c's run.c.</summary>
public sealed record GreedyReference(int MaxSeqLen, int[] StopTokens, GreedyCase[] Cases)
{
    public static GreedyReference Load()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TestData.Path("reference/greedy.json")));
        var root = doc.RootElement;
        static int[] Ints(JsonElement e) => e.EnumerateArray().Select(v => v.GetInt32()).ToArray();
        return new GreedyReference(
            root.GetProperty("max_seq_len").GetInt32(),
            Ints(root.GetProperty("stop_tokens")),
            root.GetProperty("cases").EnumerateArray().Select(c => new GreedyCase(
                c.GetProperty("prompt").GetString()!,
                c.GetProperty("max_new_tokens").GetInt32(),
                Ints(c.GetProperty("prompt_ids")),
                Ints(c.GetProperty("generated_ids")),
                c.GetProperty("stop_reason").GetString()!,
                c.GetProperty("text").GetString()!)).ToArray());
    }
}

public sealed record GreedyCase(string Prompt, int MaxNewTokens, int[] PromptIds, int[] GeneratedIds, string StopReason, string Text);
