namespace LlamaOrleans;

/// <summary>A shard's answer: float32 activations or logits as little-endian bytes, and its KV pool's identity.</summary>
[GenerateSerializer]
[Alias("llama.ShardReply")]
public sealed record ShardReply
{
    [Id(0)]
    public Guid Pool { get; init; }

    [Id(1)]
    public byte[] Data { get; init; } = [];
}
