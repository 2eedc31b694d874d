using System.Text.Json;

namespace Llama.Tests.Model;

/// <summary>test/data/reference/stories260K-logits.json: float32 logits at every prompt position.</summary>
internal sealed record ReferenceLogits(int[] PromptIds, float[][] Logits, float[][] Bf16WeightsLogits, float Tolerance)
{
    public static ReferenceLogits Load()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TestData.Path("reference/stories260K-logits.json")));
        var root = doc.RootElement;
        static float[][] Rows(JsonElement e) =>
            e.EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
        return new ReferenceLogits(
            root.GetProperty("prompt_ids").EnumerateArray().Select(v => v.GetInt32()).ToArray(),
            Rows(root.GetProperty("logits")),
            Rows(root.GetProperty("bf16_weights_logits").GetProperty("logits")),
            root.GetProperty("tolerance").GetSingle());
    }

    public static float MaxAbsDifference(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        var max = 0f;
        for (var i = 0; i < expected.Length; i++)
        {
            max = Math.Max(max, Math.Abs(expected[i] - actual[i]));
        }

        return max;
    }
}
