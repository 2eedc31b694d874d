using System.Diagnostics;
using Llama.Chat;
using Llama.Checkpoints;
using Llama.Model;
using Llama.Tokenization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Llama.Generation;

/// <summary>
/// Meta's <c>Llama</c> class: a loaded model with its tokenizer, offering text and chat completion with
/// the reference semantics. Calls are serialized: the model's KV cache serves one batch at a time.
/// </summary>
public sealed class LlamaGenerator : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    private LlamaGenerator(Transformer model, ITokenizer tokenizer, CheckpointFormat? format)
    {
        Model = model;
        Tokenizer = tokenizer;
        Format = format;
        ChatFormat = new ChatFormat(tokenizer);
        // llama2.c's story models emit BOS between stories; for them it ends a generation as EOS does.
        var stops = new HashSet<int> { tokenizer.EosId };
        if (format == CheckpointFormat.Llama2c)
        {
            stops.Add(tokenizer.BosId);
        }

        Generator = new TokenGenerator(model, stops);
    }

    public Transformer Model { get; }

    public ITokenizer Tokenizer { get; }

    public ChatFormat ChatFormat { get; }

    /// <summary>The checkpoint's format; null for random weights (<see cref="Random"/>).</summary>
    public CheckpointFormat? Format { get; }

    public TokenGenerator Generator { get; }

    /// <summary>
    /// Loads a checkpoint (file or folder, any supported format) and a tokenizer, as Meta's <c>Llama.build</c>.
    /// </summary>
    public static LlamaGenerator Build(
        string checkpointPath,
        string tokenizerPath,
        int maxSeqLen = 512,
        int maxBatchSize = 8,
        EngineOptions? options = null,
        ILogger? logger = null)
    {
        logger ??= NullLogger.Instance;
        options ??= new EngineOptions();
        var clock = Stopwatch.StartNew();
        // A GGUF model named as its own tokenizer is parsed once: the checkpoint's vocabulary serves.
        var ownVocabulary = SameFile(checkpointPath, tokenizerPath);
        var tokenizer = ownVocabulary ? null : TokenizerLoader.Load(tokenizerPath);
        using var checkpoint = CheckpointLoader.Open(checkpointPath);
        tokenizer ??= checkpoint is GgufCheckpoint gguf ? gguf.Tokenizer : TokenizerLoader.Load(tokenizerPath);
        var args = checkpoint.Args;
        if (args.VocabSize < 0)
        {
            args = args with { VocabSize = tokenizer.VocabSize };
        }
        else if (args.VocabSize != tokenizer.VocabSize)
        {
            throw new ArgumentException(
                $"Wrong tokenizer for this model: {tokenizerPath} has {tokenizer.VocabSize} tokens, " +
                $"but {checkpointPath} has a vocabulary of {args.VocabSize}.");
        }

        if (args.TrainedSeqLen is { } trained && maxSeqLen > trained)
        {
            GeneratorLog.BeyondTrainedLength(logger, maxSeqLen, trained);
        }

        var model = Transformer.Load(checkpoint, args, maxSeqLen, maxBatchSize, options);
        GeneratorLog.Loaded(logger, checkpointPath, checkpoint.Format, args.Dim, args.NLayers, args.VocabSize, model.Device, model.DType, clock.ElapsedMilliseconds);
        return new LlamaGenerator(model, tokenizer, checkpoint.Format);
    }

    /// <summary>
    /// A model of shape <paramref name="args"/> with seeded random weights drawn on its device
    /// (<see cref="Transformer.Random"/>) and a tokenizer; the vocabulary is the tokenizer's unless
    /// <paramref name="args"/> gives one, which must then equal it. Its generations stop at EOS, as Meta's.
    /// </summary>
    public static LlamaGenerator Random(
        ModelArgs args,
        string tokenizerPath,
        ulong seed,
        int maxSeqLen = 512,
        int maxBatchSize = 8,
        EngineOptions? options = null,
        ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        logger ??= NullLogger.Instance;
        options ??= new EngineOptions();
        var clock = Stopwatch.StartNew();
        var tokenizer = TokenizerLoader.Load(tokenizerPath);
        if (args.VocabSize < 0)
        {
            args = args with { VocabSize = tokenizer.VocabSize };
        }
        else if (args.VocabSize != tokenizer.VocabSize)
        {
            throw new ArgumentException(
                $"Wrong tokenizer for this model: {tokenizerPath} has {tokenizer.VocabSize} tokens, " +
                $"but the random model has a vocabulary of {args.VocabSize}.");
        }

        var model = Transformer.Random(args, maxSeqLen, maxBatchSize, options, seed);
        logger.LogInformation(
            "Created random weights (seed {Seed}, dim {Dim}, {Layers} layers, vocab {Vocab}) on {Device} as {DType} in {Ms} ms",
            seed, args.Dim, args.NLayers, args.VocabSize, model.Device, model.DType, clock.ElapsedMilliseconds);
        return new LlamaGenerator(model, tokenizer, format: null);
    }

    private static bool SameFile(string checkpointPath, string tokenizerPath) =>
        !string.IsNullOrEmpty(checkpointPath) && !string.IsNullOrEmpty(tokenizerPath)
        && string.Equals(Path.GetFullPath(checkpointPath), Path.GetFullPath(tokenizerPath), StringComparison.Ordinal);

    /// <summary>Runs <see cref="TokenGenerator.Generate"/> once the model is free.</summary>
    public IReadOnlyList<GeneratedSequence> Generate(
        IReadOnlyList<IReadOnlyList<int>> promptTokens,
        GenerationOptions options,
        Action<int, int>? onToken = null,
        CancellationToken cancellationToken = default)
    {
        _gate.Wait(cancellationToken);
        try
        {
            return Generator.Generate(promptTokens, options, onToken, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Meta's <c>text_completion</c>: each prompt encoded with BOS, continued by the model.</summary>
    public IReadOnlyList<CompletionPrediction> TextCompletion(
        IReadOnlyList<string> prompts,
        float temperature = 0.6f,
        float topP = 0.9f,
        int? maxGenLen = null,
        bool logprobs = false,
        bool echo = false,
        ulong? seed = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        var tokens = prompts.Select(p => Tokenizer.Encode(p, bos: true, eos: false)).ToArray();
        var options = new GenerationOptions { Temperature = temperature, TopP = topP, MaxGenLen = maxGenLen, Logprobs = logprobs, Echo = echo, Seed = seed };
        return Generate(tokens, options, cancellationToken: cancellationToken)
            .Select(r => new CompletionPrediction(
                Tokenizer.Decode(r.Tokens), logprobs ? TokenTexts(r.Tokens) : null, r.Logprobs, r.Tokens, r.FinishReason))
            .ToArray();
    }

    /// <summary>
    /// Meta's <c>chat_completion</c>: each dialog in Llama 2's chat format; a dialog carrying special tags
    /// still runs, but its reply is Meta's fixed error text.
    /// </summary>
    public IReadOnlyList<ChatPrediction> ChatCompletion(
        IReadOnlyList<IReadOnlyList<Message>> dialogs,
        float temperature = 0.6f,
        float topP = 0.9f,
        int? maxGenLen = null,
        bool logprobs = false,
        ulong? seed = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dialogs);
        var prompts = dialogs.Select(ChatFormat.Encode).ToArray();
        var options = new GenerationOptions { Temperature = temperature, TopP = topP, MaxGenLen = maxGenLen, Logprobs = logprobs, Seed = seed };
        var results = Generate(prompts.Select(p => p.Ids).ToArray(), options, cancellationToken: cancellationToken);
        return results.Select((r, i) => new ChatPrediction(
                new Message(Role.Assistant, prompts[i].ReplyContent(Tokenizer.Decode(r.Tokens))),
                logprobs ? TokenTexts(r.Tokens) : null,
                r.Logprobs,
                r.Tokens,
                r.FinishReason))
            .ToArray();
    }

    private string[] TokenTexts(IReadOnlyList<int> tokens) => tokens.Select(t => Tokenizer.Decode([t])).ToArray();

    public void Dispose()
    {
        Model.Dispose();
        _gate.Dispose();
    }
}
