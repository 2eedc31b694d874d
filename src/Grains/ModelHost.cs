using System.Collections.Concurrent;
using Llama.Checkpoints;
using Llama.Generation;
using Llama.Model;
using Llama.Parallel;
using Llama.Serving;
using Llama.Tokenization;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using static TorchSharp.torch;

namespace LlamaOrleans.Grains;

/// <summary>
/// The models this silo hosts, each loaded once per silo (not per grain activation): whole models on first use, with
/// the conversation caches of their worker; the ranks or stages of split models it is configured with, loaded when the
/// silo starts; and, on the silo of a split model's rank 0, the coordinator that serves it.
/// </summary>
public sealed partial class ModelHost(ModelCatalog catalog, IGrainFactory grains, IClusterMembershipService membership, ILoggerFactory loggers) : IDisposable
{
    private readonly ConcurrentDictionary<string, ModelLoad> _models = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Model, int Rank), HostedShard> _shards = new();
    private readonly ILogger _logger = loggers.CreateLogger<ModelHost>();

    /// <summary>Names of the configured whole (not split) models this silo hosts.</summary>
    public IReadOnlyList<string> HostedModels =>
        catalog.Options.Models.Where(m => m.Host && m.Parallel == ModelParallelism.None).Select(m => m.Name).ToArray();

    /// <summary>What this silo hosts, as the model registry learns it.</summary>
    public HostedModels Describe() => new() { Models = [.. HostedModels], Shards = [.. ShardOffers] };

    public bool Hosts(string model) => catalog.Options.Models.Any(m => m.Name == model && m.Host);

    /// <summary>The ranks and stages this silo is configured with, and how far their loading has come.</summary>
    public IReadOnlyList<ShardOffer> ShardOffers =>
        SplitModels().SelectMany(m => m.Ranks.Distinct().Select(rank => _shards.TryGetValue((m.Name, rank), out var shard)
            ? shard.Offer
            : new ShardOffer { Model = m.Name, Parallel = m.Parallel, Rank = rank, Count = m.Stages ?? 0, State = ShardState.Loading })).ToArray();

    public HostedModel Get(string model)
    {
        var settings = catalog.Get(model);
        if (!settings.Host)
        {
            throw new ConversationException(ConversationErrorCode.Unavailable, $"Model '{model}' is not hosted on this silo.");
        }

        return _models.GetOrAdd(model, _ => new ModelLoad(
            model, () => settings.Parallel == ModelParallelism.None ? Load(settings) : Coordinate(settings), ModelLoadRetry.Interval, TimeProvider.System, _logger)).Get();
    }

    /// <summary>A loaded tensor-parallel rank of <paramref name="model"/> on this silo.</summary>
    public ITensorParallelRank Rank(string model, int rank) =>
        Loaded(model, rank) as ITensorParallelRank ?? throw new ConversationException(ConversationErrorCode.InvalidRequest, $"Model '{model}' is not tensor parallel.");

    /// <summary>A loaded pipeline stage of <paramref name="model"/> on this silo.</summary>
    public IPipelineStage Stage(string model, int stage) =>
        Loaded(model, stage) as IPipelineStage ?? throw new ConversationException(ConversationErrorCode.InvalidRequest, $"Model '{model}' is not pipeline parallel.");

    /// <summary>
    /// Loads every rank and stage this silo is configured with, one after another, calling <paramref name="changed"/>
    /// after each (so the registry learns at once). A rank that fails to load is reported with its error.
    /// </summary>
    public async Task LoadShardsAsync(Func<Task> changed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changed);
        foreach (var settings in SplitModels())
        {
            foreach (var rank in settings.Ranks.Distinct())
            {
                cancellationToken.ThrowIfCancellationRequested();
                var shard = new HostedShard(settings.Name, settings.Parallel, rank);
                if (!_shards.TryAdd((settings.Name, rank), shard))
                {
                    continue;
                }

                await Task.Run(() => shard.Load(() => LoadShard(settings, rank, shard)), cancellationToken);
                if (shard.Offer.State == ShardState.Failed)
                {
                    LogRankFailed(settings.Name, rank, shard.Offer.Error);
                }
                else
                {
                    LogRankLoaded(settings.Name, rank, shard.Offer.Count, settings.Parallel);
                }

                await changed();
            }
        }
    }

    private IEnumerable<LlamaModelOptions> SplitModels() => catalog.Options.Models.Where(m => m.Host && m.Parallel != ModelParallelism.None);

    private ModelShard Loaded(string model, int rank) =>
        _shards.TryGetValue((model, rank), out var shard) && shard.Instance is { } instance
            ? instance
            : throw new ConversationException(ConversationErrorCode.Unavailable, $"Rank {rank} of model '{model}' is not loaded on this silo.");

    private static EngineOptions EngineOptionsOf(LlamaModelOptions settings) => new()
    {
        Device = settings.Device,
        DType = string.IsNullOrEmpty(settings.DType) ? null : EngineOptions.ParseDType(settings.DType),
        KvCacheDType = string.IsNullOrEmpty(settings.KvCacheDType) ? null : EngineOptions.ParseKvCacheDType(settings.KvCacheDType),
        Threads = settings.Threads,
        Quantization = EngineOptions.ParseQuantization(settings.Quantization),
        KvBlockSize = settings.KvBlockSize,
        KvCacheBytes = settings.KvCacheBytes,
        KvCacheMemoryFraction = settings.KvCacheMemoryFraction,
        KvCacheSequences = settings.KvCacheBytes is null && settings.KvCacheMemoryFraction is null ? settings.MaxCachedConversations : null,
    };

    private static ServingOptions ServingOptionsOf(LlamaModelOptions settings) => new()
    {
        MaxBatchSequences = settings.MaxBatchSequences,
        PrefillChunkTokens = settings.PrefillChunkTokens,
        PrefillFirstSteps = settings.PrefillFirstSteps,
        MaxQueuedRequests = settings.MaxQueuedRequests,
        PrefixCaching = settings.PrefixCaching,
    };

    private static TimeSpan StreamIntervalOf(LlamaModelOptions settings) => TimeSpan.FromMilliseconds(settings.StreamIntervalMs);

    private HostedModel Load(LlamaModelOptions settings)
    {
        var generator = settings.Random is { } random
            ? LlamaGenerator.Random(random.Args(-1), settings.Tokenizer, random.Seed, settings.MaxSeqLen, settings.MaxBatchSequences, EngineOptionsOf(settings), _logger)
            : LlamaGenerator.Build(settings.Path, settings.Tokenizer, settings.MaxSeqLen, settings.MaxBatchSequences, EngineOptionsOf(settings), _logger);
        var engine = new ServingEngine(generator.Generator, ServingOptionsOf(settings), loggers.CreateLogger<ServingEngine>());
        LogLoaded(settings.Name, generator.Model.Cache.BlockCount, generator.Model.Cache.BlockSize, generator.Model.Cache.Bytes / 1048576.0, settings.MaxBatchSequences);
        return new HostedModel(settings.Name, generator.Tokenizer, generator.Generator.StopTokens, engine, generator, StreamIntervalOf(settings));
    }

    /// <summary>The coordinator of a split model: its serving engine drives the ranks or stages through their grains.</summary>
    private HostedModel Coordinate(LlamaModelOptions settings)
    {
        var options = EngineOptionsOf(settings);
        var device = options.ResolveDevice();
        var kvType = options.ResolveKvCacheDType(options.ResolveDType(device));
        var tokenizer = TokenizerLoader.Load(settings.Tokenizer);
        var args = ArgsOf(settings, tokenizer.VocabSize);
        var (maxSeqLen, maxBatch) = (settings.MaxSeqLen, settings.MaxBatchSequences);
        var logger = loggers.CreateLogger(typeof(GrainShardDirectory<>).FullName!);
        IPagedModel model;
        Func<CancellationToken, Task> confirm;
        if (settings.Parallel == ModelParallelism.Tensor)
        {
            var ranks = TensorRanks(settings);
            var directory = new GrainShardDirectory<ITensorParallelRank>(grains, membership, settings.Name, g => new ShardWorkerRank(g), logger);
            model = new TensorParallelModel(args, ranks, TensorParallelShard.KvLayoutOf(options, args, ranks, kvType, device, maxSeqLen, maxBatch), directory);
            confirm = directory.ConfirmAsync;
        }
        else
        {
            var stages = StageCount(settings);
            var directory = new GrainShardDirectory<IPipelineStage>(grains, membership, settings.Name, g => new ShardWorkerStage(g), logger);
            model = new PipelineModel(args, stages, PipelineStage.KvLayoutOf(options, args, stages, kvType, device, maxSeqLen, maxBatch), directory);
            confirm = directory.ConfirmAsync;
        }

        var stops = new HashSet<int> { tokenizer.EosId };
        if (CheckpointLoader.Locate(settings.Path).Format == CheckpointFormat.Llama2c)
        {
            stops.Add(tokenizer.BosId);
        }

        var engine = new ServingEngine(model, stops, ServingOptionsOf(settings), loggers.CreateLogger<ServingEngine>());
        LogCoordinating(settings.Name, settings.Parallel, model.KvCache.BlockCount, model.KvCache.BlockSize);
        return new HostedModel(settings.Name, tokenizer, stops, engine, (IDisposable)model, StreamIntervalOf(settings)) { ConfirmPlacement = confirm };
    }

    private ModelShard LoadShard(LlamaModelOptions settings, int rank, HostedShard shard)
    {
        var options = EngineOptionsOf(settings);
        if (settings.Parallel == ModelParallelism.Tensor)
        {
            var ranks = TensorRanks(settings);
            shard.Count = ranks;
            if (rank < 0 || rank >= ranks)
            {
                throw new ArgumentException($"Rank {rank} is outside the {ranks} ranks of model '{settings.Name}'.");
            }

            if (IsMetaSharded(settings, ranks))
            {
                return TensorParallelShard.Load(settings.Path, rank, settings.MaxSeqLen, settings.MaxBatchSequences, options);
            }

            using var whole = CheckpointLoader.Open(settings.Path);
            var wholeArgs = whole.Args.VocabSize < 0 ? whole.Args with { VocabSize = TokenizerLoader.Load(settings.Tokenizer).VocabSize } : whole.Args;
            return TensorParallelShard.Cut(whole, wholeArgs, rank, ranks, settings.MaxSeqLen, settings.MaxBatchSequences, options);
        }

        var stages = StageCount(settings);
        shard.Count = stages;
        if (rank < 0 || rank >= stages)
        {
            throw new ArgumentException($"Stage {rank} is outside the {stages} stages of model '{settings.Name}' (Llama:Models:N:Stages).");
        }

        using var checkpoint = CheckpointLoader.Open(settings.Path);
        var args = checkpoint.Args.VocabSize < 0 ? checkpoint.Args with { VocabSize = TokenizerLoader.Load(settings.Tokenizer).VocabSize } : checkpoint.Args;
        return PipelineStage.Load(checkpoint, args, rank, stages, settings.MaxSeqLen, settings.MaxBatchSequences, options);
    }

    /// <summary>Meta's shard count, or <see cref="LlamaModelOptions.Stages"/> ranks to cut a whole checkpoint into.</summary>
    private static int TensorRanks(LlamaModelOptions settings)
    {
        if (settings.Stages is { } ranks)
        {
            return ranks >= 1 ? ranks : throw new ArgumentException($"Model '{settings.Name}': Llama:Models:N:Stages must be 1 or more, got {ranks}.");
        }

        if (CheckpointLoader.Locate(settings.Path).Format != CheckpointFormat.MetaPth)
        {
            throw new ArgumentException(
                $"Model '{settings.Name}' is tensor parallel but {settings.Path} is not in Meta's sharded layout: set Llama:Models:N:Stages to the number of ranks to cut it into.");
        }

        using var shard = MetaCheckpoint.OpenShard(settings.Path, 0);
        return shard.ShardCount;
    }

    /// <summary>Whether the checkpoint comes as exactly <paramref name="ranks"/> Meta shards, each rank reading only its own file.</summary>
    private static bool IsMetaSharded(LlamaModelOptions settings, int ranks)
    {
        if (CheckpointLoader.Locate(settings.Path).Format != CheckpointFormat.MetaPth)
        {
            return false;
        }

        using var shard = MetaCheckpoint.OpenShard(settings.Path, 0);
        return shard.ShardCount == ranks;
    }

    private static int StageCount(LlamaModelOptions settings) =>
        settings.Stages is { } stages && stages >= 1
            ? stages
            : throw new ArgumentException($"Model '{settings.Name}' is pipeline parallel: set Llama:Models:N:Stages to its number of stages (1 or more).");

    private static ModelArgs ArgsOf(LlamaModelOptions settings, int vocabSize)
    {
        using var checkpoint = CheckpointLoader.Open(settings.Path);
        return checkpoint.Args.VocabSize < 0 ? checkpoint.Args with { VocabSize = vocabSize } : checkpoint.Args;
    }

    public void Dispose()
    {
        foreach (var model in _models.Values.Select(m => m.Loaded).OfType<HostedModel>())
        {
            model.Engine.Dispose();
            model.Resources.Dispose();
        }

        foreach (var shard in _shards.Values)
        {
            shard.Dispose();
        }
    }

    /// <summary>A rank or stage this silo is configured with: loading, loaded, or failed with a reason.</summary>
    [LoggerMessage(Level = LogLevel.Error, Message = "Model {Model}: rank {Rank} failed to load: {Error}")]
    private partial void LogRankFailed(string model, int rank, string? error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Model}: rank {Rank} of {Count} loaded ({Parallel} parallel)")]
    private partial void LogRankLoaded(string model, int rank, int count, ModelParallelism parallel);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Model}: {Blocks} KV blocks of {BlockSize} positions ({MiB:F1} MiB), up to {Batch} sequences a step")]
    private partial void LogLoaded(string model, int blocks, int blockSize, double miB, int batch);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Model}: coordinating {Parallel} parallel ranks on this silo, {Blocks} KV blocks of {BlockSize} positions on each")]
    private partial void LogCoordinating(string model, ModelParallelism parallel, int blocks, int blockSize);

    private sealed class HostedShard(string model, ModelParallelism parallel, int rank) : IDisposable
    {
        private volatile ShardState _state = ShardState.Loading;
        private string? _error;

        public ModelShard? Instance { get; private set; }

        public int Count { get; set; }

        public ShardOffer Offer => new() { Model = model, Parallel = parallel, Rank = rank, Count = Count, State = _state, Error = _error };

        public void Load(Func<ModelShard> load)
        {
            try
            {
                Instance = load();
                _state = ShardState.Loaded;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _error = e.Message;
                _state = ShardState.Failed;
            }
        }

        public void Dispose() => Instance?.Dispose();
    }
}

/// <summary>
/// A model this silo serves: its tokenizer, stop tokens, and the serving engine that batches its conversations' turns;
/// <paramref name="StreamInterval"/> is the least time between two streamed pieces of a reply.
/// </summary>
public sealed record HostedModel(string Name, ITokenizer Tokenizer, IReadOnlySet<int> StopTokens, ServingEngine Engine, IDisposable Resources, TimeSpan StreamInterval)
{
    /// <summary>For a split model, confirms with the registry where its ranks are before a turn starts; null for a whole model.</summary>
    public Func<CancellationToken, Task>? ConfirmPlacement { get; init; }
}
