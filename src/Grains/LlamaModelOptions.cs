namespace LlamaOrleans.Grains;

/// <summary>One model the cluster knows: where its files are and how a hosting silo runs it.</summary>
public sealed class LlamaModelOptions
{
    /// <summary>The name conversations ask for.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>Checkpoint file or folder (llama2.c .bin, Meta .pth shards, Hugging Face safetensors, llama.cpp .gguf).</summary>
    public string Path { get; set; } = string.Empty;

    /// <summary>
    /// Seeded random weights of a given shape instead of a checkpoint (then <see cref="Path"/> stays empty): a whole
    /// model, with <see cref="Tokenizer"/> as its vocabulary.
    /// </summary>
    public RandomModelOptions? Random { get; set; }

    /// <summary>
    /// tokenizer.model or tokenizer.bin; every silo needs it, hosting or not (conversations count tokens). A .gguf model
    /// carries its own vocabulary: left empty, the model file serves as the tokenizer.
    /// </summary>
    public string Tokenizer { get; set; } = string.Empty;

    /// <summary>Whether this silo loads the model and runs a worker for it (split models: the ranks in <see cref="Ranks"/>).</summary>
    public bool Host { get; set; } = true;

    /// <summary>
    /// How the model is split across silos: <see cref="ModelParallelism.None"/> (every hosting silo loads all of it),
    /// <see cref="ModelParallelism.Tensor"/> (Meta's model-parallel shards, one rank per <c>consolidated.NN.pth</c>) or
    /// <see cref="ModelParallelism.Pipeline"/> (<see cref="Stages"/> consecutive layer ranges).
    /// </summary>
    public ModelParallelism Parallel { get; set; } = ModelParallelism.None;

    /// <summary>The ranks (tensor) or stages (pipeline) this silo loads; several silos may offer the same one as a standby.</summary>
    public List<int> Ranks { get; set; } = [];

    /// <summary>
    /// Pipeline: the number of stages the layers are split into. Tensor: the number of ranks to cut a whole checkpoint
    /// into (unset, Meta's shard files decide it and each rank reads only its own).
    /// </summary>
    public int? Stages { get; set; }

    public string Device { get; set; } = "cpu";

    /// <summary>Quantize float weights at load for the CPU kernels: q8_0 or q4_0; empty keeps them as stored.</summary>
    public string? Quantization { get; set; }

    /// <summary>float32, bfloat16 or float16; empty picks the device's default.</summary>
    public string? DType { get; set; }

    /// <summary>
    /// Element type of the KV cache: float32, bfloat16 or float16; empty stores it in the compute precision. A
    /// 16-bit cache halves KV memory per token and what each decode step reads of long histories.
    /// </summary>
    public string? KvCacheDType { get; set; }

    public int MaxSeqLen { get; set; } = 512;

    /// <summary>
    /// KV memory as this many full-length conversations, used when neither <see cref="KvCacheBytes"/> nor
    /// <see cref="KvCacheMemoryFraction"/> is given. Idle caches beyond it are evicted least recently used first.
    /// </summary>
    public int MaxCachedConversations { get; set; } = 16;

    /// <summary>KV memory budget in bytes.</summary>
    public long? KvCacheBytes { get; set; }

    /// <summary>KV memory budget as a fraction of the memory available to the silo (CPU only).</summary>
    public double? KvCacheMemoryFraction { get; set; }

    /// <summary>Positions per KV block.</summary>
    public int KvBlockSize { get; set; } = 16;

    /// <summary>Most sequences decoded together in one step.</summary>
    public int MaxBatchSequences { get; set; } = 32;

    /// <summary>Most prompt tokens computed per step, so long prompts do not stall other conversations' decoding.</summary>
    public int PrefillChunkTokens { get; set; } = 512;

    /// <summary>While prompts wait, most steps in a row that compute prompts alone, pausing decoding (0: never).</summary>
    public int PrefillFirstSteps { get; set; }

    /// <summary>Turns that may wait for the worker; beyond it a turn is refused as overloaded.</summary>
    public int MaxQueuedRequests { get; set; } = 1024;

    /// <summary>Share KV blocks between conversations whose prompts start with the same tokens (e.g. one system prompt).</summary>
    public bool PrefixCaching { get; set; } = true;

    /// <summary>
    /// Least time between two streamed pieces of a reply, in milliseconds: tokens generated sooner travel together.
    /// Each piece costs grain messages on the way to the client; 0 sends every token on its own.
    /// </summary>
    public int StreamIntervalMs { get; set; } = 50;

    /// <summary>CPU threads; null uses every core.</summary>
    public int? Threads { get; set; }
}
