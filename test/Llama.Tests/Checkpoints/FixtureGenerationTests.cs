using System.Text.Json;
using Llama.Checkpoints;
using Llama.Generation;
using Llama.Model;
using Llama.Tests.Model;
using static TorchSharp.torch;

namespace Llama.Tests.Checkpoints;

/// <summary>Every fixture layout, loaded through the same engine, generates what test/data/fixtures/expected.json states.</summary>
public class FixtureGenerationTests
{
    public static TheoryData<string> AllFixtures =>
        [Fixtures.Meta, Fixtures.MetaFp16, Fixtures.MetaF32, Fixtures.MetaMp2, Fixtures.Hf, Fixtures.HfSharded];

    private static Transformer Load(string fixture, ScalarType? dtype = null)
    {
        using var checkpoint = CheckpointLoader.Open(Fixtures.Folder(fixture));
        var args = checkpoint.Args.VocabSize < 0 ? checkpoint.Args with { VocabSize = 512 } : checkpoint.Args;
        return Transformer.Load(checkpoint, args, 512, 1, new EngineOptions { DType = dtype });
    }

    private static JsonElement Expected(string fixture)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TestData.Path("fixtures/expected.json")));
        return doc.RootElement.GetProperty(fixture).Clone();
    }

    private static int[] Ints(JsonElement e) => e.EnumerateArray().Select(v => v.GetInt32()).ToArray();

    [Theory]
    [MemberData(nameof(AllFixtures))]
    public void Greedy_tokens_match_the_fixture_expectation(string fixture)
    {
        var greedy = Expected(fixture).GetProperty("greedy");
        using var model = Load(fixture);
        var generator = new TokenGenerator(model, new HashSet<int> { 1, 2 });

        var result = generator.Generate([Ints(greedy.GetProperty("prompt_ids"))],
            new GenerationOptions { Temperature = 0, MaxGenLen = greedy.GetProperty("max_new_tokens").GetInt32() })[0];

        Assert.Equal(Ints(greedy.GetProperty("generated_ids")), result.Tokens);
    }

    [Theory]
    [MemberData(nameof(AllFixtures))]
    public void Logits_are_within_the_rounding_the_stored_dtype_causes(string fixture)
    {
        var reference = ReferenceLogits.Load();
        // expected.json states the rounding error for single-file layouts; the bf16 ones are checked exactly below.
        var sameBf16Weights = fixture is Fixtures.Meta or Fixtures.MetaMp2 or Fixtures.HfSharded;
        var allowed = (Expected(fixture).TryGetProperty("max_abs_logit_diff_vs_f32", out var stated)
            ? stated.GetSingle()
            : Expected(Fixtures.Meta).GetProperty("max_abs_logit_diff_vs_f32").GetSingle()) + reference.Tolerance;
        using var model = Load(fixture);

        var logits = model.Forward([new SequenceInput(model.SlotBlocks(0), 0, reference.PromptIds)], allPositions: true)[0];

        var vocab = model.Args.VocabSize;
        for (var pos = 0; pos < reference.PromptIds.Length; pos++)
        {
            var row = logits.AsSpan(pos * vocab, vocab);
            Assert.True(ReferenceLogits.MaxAbsDifference(reference.Logits[pos], row) <= allowed, $"{fixture} position {pos}");
            if (sameBf16Weights)
            {
                // Same bf16-rounded weights as the reference's bf16 run: exact to float32 tolerance.
                Assert.True(ReferenceLogits.MaxAbsDifference(reference.Bf16WeightsLogits[pos], row) <= reference.Tolerance, $"{fixture} bf16 position {pos}");
            }
        }
    }

    [Fact]
    public void Bfloat16_compute_on_the_cpu_stays_close_to_float32()
    {
        var reference = ReferenceLogits.Load();
        using var model = Load(Fixtures.Meta, ScalarType.BFloat16);

        var logits = model.Forward([new SequenceInput(model.SlotBlocks(0), 0, reference.PromptIds)])[0];

        Assert.Equal(ScalarType.BFloat16, model.DType);
        Assert.True(ReferenceLogits.MaxAbsDifference(reference.Bf16WeightsLogits[^1], logits) < 0.5f);
        Assert.Equal(Array.IndexOf(reference.Logits[^1], reference.Logits[^1].Max()), Array.IndexOf(logits, logits.Max()));
    }
}
