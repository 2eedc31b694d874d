namespace LlamaOrleans.Grains;

/// <summary>One model the cluster knows: where its files are and how a hosting silo runs it.</summary>
public sealed class LlamaModelOptions
{
    /// <summary>The name conversations ask for.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>Checkpoint file or folder (llama2.c .bin, Meta .pth shards, Hugging Face safetensors).</summary>
    public string Path { get; set; } = string.Empty;

    /// <summary>tokenizer.model or tokenizer.bin; every silo needs it, hosting or not (conversations count tokens).</summary>
    public string Tokenizer { get; set; } = string.Empty;

    /// <summary>Whether this silo loads the model and runs a worker for it.</summary>
    public bool Host { get; set; } = true;

    public string Device { get; set; } = "cpu";

    /// <summary>float32, bfloat16 or float16; empty picks the device's default.</summary>
    public string? DType { get; set; }

    public int MaxSeqLen { get; set; } = 512;

    /// <summary>Conversations whose KV caches stay resident; the least recently used is evicted beyond that.</summary>
    public int MaxCachedConversations { get; set; } = 16;

    /// <summary>CPU threads; null uses every core.</summary>
    public int? Threads { get; set; }
}
