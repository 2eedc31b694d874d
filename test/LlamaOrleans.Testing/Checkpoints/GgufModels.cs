using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Llama.Checkpoints;
using Llama.Checkpoints.Gguf;
using Llama.Kernels;
using Llama.Model;
using static TorchSharp.torch;

namespace LlamaOrleans.Testing.Checkpoints;

/// <summary>
/// GGUF files for tests, written as llama.cpp's converter writes them: stories260K (test/data/models) with the tok512
/// vocabulary, and seeded random models of any shape. Weights go in Meta's row order.
/// </summary>
public static class GgufModels
{
    /// <summary>A vocabulary in GGUF's form: SentencePiece pieces (spaces as ▁), scores and piece types.</summary>
    public sealed record Vocabulary(string[] Tokens, float[] Scores, int[] Types);

    /// <summary>
    /// llama2.c's tokenizer.bin as GGUF stores a SentencePiece vocabulary: 0 is &lt;unk&gt;, 1 and 2 BOS and EOS
    /// (control), 3..258 the byte pieces, the rest normal pieces whose spaces become ▁ again.
    /// </summary>
    public static Vocabulary ReadLlama2cVocabulary(string path)
    {
        var data = File.ReadAllBytes(path);
        var tokens = new List<string>();
        var scores = new List<float>();
        for (var offset = 4; offset < data.Length;)
        {
            var score = BinaryPrimitives.ReadSingleLittleEndian(data.AsSpan(offset));
            var length = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(offset + 4));
            tokens.Add(System.Text.Encoding.UTF8.GetString(data, offset + 8, length));
            scores.Add(score);
            offset += 8 + length;
        }

        var types = new int[tokens.Count];
        for (var id = 0; id < tokens.Count; id++)
        {
            types[id] = id switch { 0 => 2, 1 or 2 => 3, < 259 => 6, _ => 1 };
            tokens[id] = id switch { 1 => "<s>", 2 => "</s>", < 259 => tokens[id], _ => tokens[id].Replace(' ', '\u2581') };
        }

        return new Vocabulary([.. tokens], [.. scores], types);
    }

    /// <summary>stories260K with its tok512 vocabulary, matrices stored as <paramref name="type"/> (F32, F16, BF16, Q8_0 or Q4_0).</summary>
    public static void WriteStories260K(string path, WeightType type)
    {
        using var checkpoint = Llama2cCheckpoint.Open(TestData.Model);
        var writer = Header(checkpoint.Args, ReadLlama2cVocabulary(TestData.Tok512), "stories260K");
        foreach (var name in checkpoint.TensorNames.Where(n => !(checkpoint.TiedEmbeddings && n == TensorNames.Output)).Order(StringComparer.Ordinal))
        {
            var shape = checkpoint.Shape(name);
            var stored = shape.Length == 2 && shape[1] % type.BlockElements() == 0 ? type : WeightType.F32;
            writer.Tensor(GgufNames.FromMeta(name), shape, stored, () =>
            {
                using var tensor = checkpoint.Load(name, ScalarType.Float32, CPU);
                return Encode(MemoryMarshal.Cast<byte, float>(tensor.bytes).ToArray(), shape[^1], stored);
            });
        }

        writer.Write(path);
    }

    /// <summary>
    /// A seeded random model of <paramref name="args"/>' shape over <paramref name="vocabulary"/>: normal weights
    /// scaled by 1/√fan-in, norms near 1, and a classifier scaled up so that the logits are decisive.
    /// </summary>
    public static void WriteRandom(string path, ModelArgs args, Vocabulary vocabulary, int seed, WeightType type)
    {
        var writer = Header(args, vocabulary, "random");
        var shapes = ExpectedShapes.For(args, Enumerable.Range(0, args.NLayers));
        var index = 0;
        foreach (var (name, shape) in shapes.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            var tensorSeed = seed + index++;
            var stored = shape.Length == 2 ? type : WeightType.F32;
            writer.Tensor(GgufNames.FromMeta(name), shape, stored, () =>
            {
                var random = new Random(tensorSeed);
                var values = new float[shape.Aggregate(1L, (a, b) => a * b)];
                var scale = shape.Length == 1 ? 0.1f : name == TensorNames.TokEmbeddings ? 1f : (name == TensorNames.Output ? 4f : 1f) / MathF.Sqrt(shape[1]);
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = shape.Length == 1 ? 1 + (scale * Normal(random)) : scale * Normal(random);
                }

                return Encode(values, shape[^1], stored);
            });
        }

        writer.Write(path);
    }

    /// <summary>
    /// A seeded random model of <paramref name="args"/>' shape whose matrices are Q4_K super-blocks drawn as blocks (no
    /// float intermediate, so a 7B shape is written in seconds and one matrix of memory): random nibbles and six-bit
    /// sub-scales and minimums, with float16 scales that give each weight a spread of about 1/√fan-in around zero; norms 1.
    /// With <paramref name="float32Classifier"/> the classifier is float32 (<see cref="RandomClassifier"/>), as llama.cpp's
    /// quantizer leaves it in the bench's Q4_K_M and Q8_0 files.
    /// </summary>
    public static void WriteRandomQ4K(string path, ModelArgs args, Vocabulary vocabulary, int seed, bool float32Classifier = false)
    {
        var writer = Header(args, vocabulary, "random");
        var index = 0;
        foreach (var (name, shape) in ExpectedShapes.For(args, Enumerable.Range(0, args.NLayers)).OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            var tensorSeed = seed + index++;
            if (float32Classifier && name == TensorNames.Output)
            {
                writer.Tensor(GgufNames.FromMeta(name), shape, WeightType.F32,
                    () => MemoryMarshal.AsBytes(RandomClassifier(shape[0], shape[1], seed).AsSpan()).ToArray());
                continue;
            }

            writer.Tensor(GgufNames.FromMeta(name), shape, shape.Length == 2 ? WeightType.Q4_K : WeightType.F32, () => shape.Length == 2
                ? RandomQ4K(shape[0], shape[1], new Random(tensorSeed))
                : MemoryMarshal.AsBytes(Enumerable.Repeat(1f, (int)shape[0]).ToArray().AsSpan()).ToArray());
        }

        writer.Write(path);
    }

    /// <summary>
    /// Llama 2's vocabulary layout (unknown, BOS, EOS, the 256 byte pieces) with numbered pieces filling it to
    /// <paramref name="size"/>: for random models of real shapes.
    /// </summary>
    public static Vocabulary SyntheticVocabulary(int size)
    {
        var tokens = new string[size];
        var scores = new float[size];
        var types = new int[size];
        for (var id = 0; id < size; id++)
        {
            (tokens[id], types[id]) = id switch
            {
                0 => ("<unk>", 2),
                1 => ("<s>", 3),
                2 => ("</s>", 3),
                < 259 => ($"<0x{id - 3:X2}>", 6),
                _ => ($"\u2581w{id}", 1),
            };
            scores[id] = -id;
        }

        return new Vocabulary(tokens, scores, types);
    }

    /// <summary>The float32 classifier <see cref="WriteRandomQ4K"/> writes for <paramref name="seed"/>: normal, scaled by 4/√fan-in.</summary>
    public static float[] RandomClassifier(long rows, long cols, int seed)
    {
        var random = new Random(seed);
        var values = new float[rows * cols];
        var scale = 4f / MathF.Sqrt(cols);
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = scale * Normal(random);
        }

        return values;
    }

    /// <summary>
    /// Rows of random Q4_K super-blocks. A value is d·scale·q − dmin·min with q uniform in 0..15 and six-bit scale and min
    /// (mean 31.5): its spread is about 145·d and its mean about 236·d − 31.5·dmin, so dmin = 7.5·d centres it.
    /// </summary>
    public static byte[] RandomQ4K(long rows, long cols, Random random)
    {
        var bytes = new byte[rows * WeightType.Q4_K.RowBytes(cols)];
        random.NextBytes(bytes);
        var d = 1 / (145 * MathF.Sqrt(cols));
        var scales = new byte[4];
        BitConverter.TryWriteBytes(scales, (Half)d);
        BitConverter.TryWriteBytes(scales.AsSpan(2), (Half)(7.5f * d));
        for (long block = 0; block < bytes.Length; block += WeightType.Q4_K.BlockBytes())
        {
            scales.CopyTo(bytes.AsSpan((int)block, 4));
        }

        return bytes;
    }

    /// <summary>Values stored as <paramref name="type"/>, rows of <paramref name="cols"/>.</summary>
    public static byte[] Encode(float[] values, long cols, WeightType type)
    {
        switch (type)
        {
            case WeightType.F32:
                return MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
            case WeightType.F16:
                return MemoryMarshal.AsBytes(values.Select(v => (Half)v).ToArray().AsSpan()).ToArray();
            case WeightType.BF16:
                // Round to nearest even, as torch's conversion does.
                return MemoryMarshal.AsBytes(values.Select(v =>
                {
                    var bits = BitConverter.SingleToUInt32Bits(v);
                    return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
                }).ToArray().AsSpan()).ToArray();
            default:
                var rows = values.Length / cols;
                var rowBytes = type.RowBytes(cols);
                var bytes = new byte[rows * rowBytes];
                for (long r = 0; r < rows; r++)
                {
                    Quantize.Row(type, values.AsSpan((int)(r * cols), (int)cols), bytes.AsSpan((int)(r * rowBytes), (int)rowBytes));
                }

                return bytes;
        }
    }

    private static GgufWriter Header(ModelArgs args, Vocabulary vocabulary, string name) => new GgufWriter()
        .Add("general.architecture", "llama")
        .Add("general.name", name)
        .Add("llama.context_length", (uint)(args.TrainedSeqLen ?? 512))
        .Add("llama.embedding_length", (uint)args.Dim)
        .Add("llama.block_count", (uint)args.NLayers)
        .Add("llama.feed_forward_length", (uint)args.HiddenDim)
        .Add("llama.rope.dimension_count", (uint)args.HeadDim)
        .Add("llama.attention.head_count", (uint)args.NHeads)
        .Add("llama.attention.head_count_kv", (uint)args.KvHeads)
        .Add("llama.attention.layer_norm_rms_epsilon", (float)args.NormEps)
        .Add("llama.rope.freq_base", (float)args.RopeTheta)
        .Add("tokenizer.ggml.model", "llama")
        .Add("tokenizer.ggml.tokens", vocabulary.Tokens)
        .Add("tokenizer.ggml.scores", vocabulary.Scores)
        .Add("tokenizer.ggml.token_type", vocabulary.Types)
        .Add("tokenizer.ggml.bos_token_id", 1u)
        .Add("tokenizer.ggml.eos_token_id", 2u)
        .Add("tokenizer.ggml.unknown_token_id", 0u);

    private static float Normal(Random random) =>
        MathF.Sqrt(-2 * MathF.Log(1 - random.NextSingle())) * MathF.Cos(2 * MathF.PI * random.NextSingle());
}
