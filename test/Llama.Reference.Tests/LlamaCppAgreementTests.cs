using System.Globalization;
using System.Numerics.Tensors;
using Llama.Checkpoints;
using Llama.Kernels;
using Llama.Model;
using LLama.Native;
using LlamaOrleans.Testing.Checkpoints;

namespace Llama.Reference.Tests;

/// <summary>
/// A seeded random model whose sizes are multiples of 256 (as K-quants need), written by our GGUF writer in F32 and F16
/// and quantized by llama.cpp's own quantizer; llama.cpp and the engine then read the same files and score the same
/// 256 tokens.
/// </summary>
public sealed class LlamaCppAgreementTests : IClassFixture<LlamaCppAgreementTests.Files>
{
    private const int Positions = 256;
    private readonly Files _files;

    public LlamaCppAgreementTests(Files files) => _files = files;

    public sealed class Files : IDisposable
    {
        public static readonly ModelArgs Shape = new()
        {
            Dim = 256,
            NLayers = 2,
            NHeads = 4,
            NKvHeads = 2,
            ExplicitHiddenDim = 768,
            VocabSize = 512,
            TrainedSeqLen = 512,
        };

        private readonly TempFolder _folder = new();

        public Files()
        {
            var vocabulary = GgufModels.ReadLlama2cVocabulary(TestData.Tok512);
            GgufModels.WriteRandom(Path("F32"), Shape, vocabulary, seed: 11, WeightType.F32);
            GgufModels.WriteRandom(Path("F16"), Shape, vocabulary, seed: 11, WeightType.F16);
            var random = new Random(17);
            Tokens = [1, .. Enumerable.Range(0, Positions - 1).Select(_ => random.Next(3, 512))];
        }

        public int[] Tokens { get; }

        public string Path(string type) => _folder.File($"random-{type}.gguf");

        public string Quantized(LLamaFtype type)
        {
            var path = Path(type.ToString());
            if (!File.Exists(path))
            {
                LlamaCpp.Quantize(Path("F32"), path, type);
            }

            return path;
        }

        public void Dispose() => _folder.Dispose();
    }

    private float[][] Ours(string path)
    {
        using var checkpoint = CheckpointLoader.Open(path);
        using var model = Transformer.Load(checkpoint, checkpoint.Args, Positions, 1, new EngineOptions { Threads = 2 });
        var flat = model.Forward([new SequenceInput(model.SlotBlocks(0), 0, _files.Tokens)], allPositions: true)[0];
        var vocab = checkpoint.Args.VocabSize;
        return Enumerable.Range(0, Positions).Select(p => flat.AsSpan(p * vocab, vocab).ToArray()).ToArray();
    }

    [Theory]
    [InlineData("F32")]
    [InlineData("F16")]
    public void Float_files_give_llama_cpps_logits_within_a_thousandth(string type)
    {
        var path = _files.Path(type);
        var theirs = LlamaCpp.Logits(path, _files.Tokens, 2);
        var ours = Ours(path);
        var worst = 0f;
        for (var p = 0; p < Positions; p++)
        {
            var scale = MathF.Abs(TensorPrimitives.MaxMagnitude(theirs[p]));
            var differences = new float[theirs[p].Length];
            TensorPrimitives.Subtract(theirs[p], ours[p], differences);
            var difference = MathF.Abs(TensorPrimitives.MaxMagnitude(differences));
            Assert.True(difference <= 1e-3f * scale, $"{type} position {p}: max |difference| {difference} against logits up to {scale}");
            worst = Math.Max(worst, difference / scale);
        }

        Assert.True(theirs.All(row => TensorPrimitives.MaxMagnitude(row) != 0), "llama.cpp gave all-zero logits");
        TestContext.Current.SendDiagnosticMessage(string.Create(CultureInfo.InvariantCulture, $"{type}: largest difference {worst:E2} of the logits' magnitude"));
    }

    [Theory]
    [InlineData(LLamaFtype.MOSTLY_Q8_0, WeightType.Q8_0)]
    [InlineData(LLamaFtype.MOSTLY_Q4_0, WeightType.Q4_0)]
    [InlineData(LLamaFtype.MOSTLY_Q4_K_M, WeightType.Q4_K)]
    [InlineData(LLamaFtype.MOSTLY_Q6_K, WeightType.Q6_K)]
    public void Quantized_files_choose_llama_cpps_greedy_token_where_its_choice_is_clear(LLamaFtype type, WeightType stored)
    {
        var path = _files.Quantized(type);
        using (var checkpoint = GgufCheckpoint.Open(path))
        {
            Assert.Contains(stored, checkpoint.WeightTypes);
        }

        var theirs = LlamaCpp.Logits(path, _files.Tokens, 2);
        var ours = Ours(path);
        var disagreements = new List<string>();
        for (var p = 0; p < Positions; p++)
        {
            var choice = TensorPrimitives.IndexOfMax(theirs[p]);
            if (TensorPrimitives.IndexOfMax(ours[p]) != choice)
            {
                var sorted = theirs[p].OrderDescending().ToArray();
                var margin = sorted[0] - sorted[1];
                var spread = sorted[0] - sorted[^1];
                disagreements.Add(string.Create(CultureInfo.InvariantCulture, $"position {p}: llama.cpp's top-2 margin {margin:F4} of a {spread:F2} spread"));
                // A different choice only where llama.cpp itself nearly tied.
                Assert.True(margin <= 0.02f * spread, $"{type}: {disagreements[^1]}");
            }
        }

        TestContext.Current.SendDiagnosticMessage($"{type}: {Positions - disagreements.Count}/{Positions} greedy choices agree; {string.Join("; ", disagreements)}");
        Assert.True(disagreements.Count <= Positions * 0.05, $"{type}: {disagreements.Count} of {Positions} greedy choices differ: {string.Join("; ", disagreements)}");
    }
}
