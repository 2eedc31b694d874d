using Llama.Model;

namespace Llama.Parallel;

/// <summary>
/// What every rank or stage needs to run one step of a distributed forward: the step's number (later calls of the
/// step name it), the coordinator sending it, the packed batch with the block tables the coordinator's engine decided,
/// and the block operations to perform first.
/// </summary>
public sealed record ShardStep(long Step, Guid Coordinator, IReadOnlyList<SequenceInput> Batch, IReadOnlyList<KvOperation> Operations);

/// <summary>
/// A rank's or stage's answer: its activations or logits (float32, row-major), the identity of its KV pool, which
/// changes when the pool was recreated (a restarted shard), so the coordinator knows every cache is gone, and the
/// pool's layout, which the coordinator checks against its own.
/// </summary>
public readonly record struct ShardOutput(Guid Pool, KvLayout Layout, float[] Data);
