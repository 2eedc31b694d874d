using System.Collections.Concurrent;
using Llama.Generation;
using Llama.Model;
using Llama.Serving;
using Microsoft.Extensions.Logging;

namespace LlamaOrleans.Grains;

/// <summary>
/// The models this silo hosts, each loaded once per silo (not per grain activation) on first use, with
/// the conversation caches of its worker.
/// </summary>
public sealed class ModelHost(ModelCatalog catalog, ILoggerFactory loggers) : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<HostedModel>> _models = new(StringComparer.Ordinal);

    /// <summary>Names of the configured models this silo hosts.</summary>
    public IReadOnlyList<string> HostedModels => catalog.Options.Models.Where(m => m.Host).Select(m => m.Name).ToArray();

    public bool Hosts(string model) => catalog.Options.Models.Any(m => m.Name == model && m.Host);

    public HostedModel Get(string model)
    {
        var settings = catalog.Get(model);
        if (!settings.Host)
        {
            throw new ConversationException(ConversationErrorCode.Unavailable, $"Model '{model}' is not hosted on this silo.");
        }

        return _models.GetOrAdd(model, _ => new Lazy<HostedModel>(() => Load(settings))).Value;
    }

    private HostedModel Load(LlamaModelOptions settings)
    {
        var options = new EngineOptions
        {
            Device = settings.Device,
            DType = string.IsNullOrEmpty(settings.DType) ? null : EngineOptions.ParseDType(settings.DType),
            Threads = settings.Threads,
            KvBlockSize = settings.KvBlockSize,
            KvCacheBytes = settings.KvCacheBytes,
            KvCacheMemoryFraction = settings.KvCacheMemoryFraction,
            KvCacheSequences = settings.KvCacheBytes is null && settings.KvCacheMemoryFraction is null ? settings.MaxCachedConversations : null,
        };
        var logger = loggers.CreateLogger<ModelHost>();
        var generator = LlamaGenerator.Build(settings.Path, settings.Tokenizer, settings.MaxSeqLen, settings.MaxBatchSequences, options, logger);
        var engine = new ServingEngine(generator.Generator, new ServingOptions
        {
            MaxBatchSequences = settings.MaxBatchSequences,
            PrefillChunkTokens = settings.PrefillChunkTokens,
            PrefillFirstSteps = settings.PrefillFirstSteps,
            MaxQueuedRequests = settings.MaxQueuedRequests,
            PrefixCaching = settings.PrefixCaching,
        }, loggers.CreateLogger<ServingEngine>());
        logger.LogInformation("Model {Model}: {Blocks} KV blocks of {BlockSize} positions ({MiB:F1} MiB), up to {Batch} sequences a step",
            settings.Name, generator.Model.Cache.BlockCount, generator.Model.Cache.BlockSize, generator.Model.Cache.Bytes / 1048576.0, settings.MaxBatchSequences);
        return new HostedModel(settings.Name, generator, engine, TimeSpan.FromMilliseconds(settings.StreamIntervalMs));
    }

    public void Dispose()
    {
        foreach (var model in _models.Values.Where(m => m.IsValueCreated))
        {
            model.Value.Engine.Dispose();
            model.Value.Generator.Dispose();
        }
    }
}

/// <summary>
/// A loaded model and the serving engine that batches its conversations' turns and keeps their caches;
/// <paramref name="StreamInterval"/> is the least time between two streamed pieces of a reply.
/// </summary>
public sealed record HostedModel(string Name, LlamaGenerator Generator, ServingEngine Engine, TimeSpan StreamInterval);
