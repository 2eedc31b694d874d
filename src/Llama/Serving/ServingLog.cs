using Microsoft.Extensions.Logging;

namespace Llama.Serving;

/// <summary>What the serving engine logs.</summary>
internal static partial class ServingLog
{
    [LoggerMessage(Level = LogLevel.Information,
        Message = "Serving engine started: {Blocks} KV blocks of {BlockSize} positions, up to {Rows} sequences and {Chunk} prompt tokens per step")]
    public static partial void Started(ILogger logger, int blocks, int blockSize, int rows, int chunk);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The model lost its KV memory; {Running} running turns fail and {Caches} caches are dropped")]
    public static partial void KvMemoryLost(ILogger logger, Exception error, int running, int caches);

    [LoggerMessage(Level = LogLevel.Error, Message = "A forward step of {Sequences} sequences failed; their turns fail and their caches are dropped")]
    public static partial void StepFailed(ILogger logger, Exception error, int sequences);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The serving engine failed; every turn in flight fails")]
    public static partial void EngineFailed(ILogger logger, Exception error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Preempted the turn on cache {CacheId} after {Tokens} tokens: KV blocks ran out")]
    public static partial void Preempted(ILogger logger, string cacheId, int tokens);
}
