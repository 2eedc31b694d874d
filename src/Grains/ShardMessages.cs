using System.Runtime.InteropServices;
using Llama.Model;
using Llama.Parallel;
using static TorchSharp.torch;

namespace LlamaOrleans.Grains;

/// <summary>Converts a split model's steps and activations between the engine's types and their Orleans messages.</summary>
internal static class ShardMessages
{
    public static ShardStepMessage ToMessage(ShardStep step) => new()
    {
        Step = step.Step,
        Coordinator = step.Coordinator,
        Blocks = [.. step.Batch.Select(s => s.Blocks.ToArray())],
        StartPositions = [.. step.Batch.Select(s => s.StartPos)],
        Tokens = [.. step.Batch.Select(s => s.Tokens.ToArray())],
        Operations = [.. step.Operations.Select(o => new KvOperationMessage
        {
            Move = o.Kind == KvOperationKind.Move,
            Source = o.Source,
            Target = o.Target,
            Blocks = [.. o.Blocks],
            From = o.From,
            To = o.To,
            Length = o.Length,
        })],
    };

    public static ShardStep ToStep(ShardStepMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Blocks.Length != message.Tokens.Length || message.StartPositions.Length != message.Tokens.Length)
        {
            throw new ArgumentException("A shard step needs a block table, a start position and tokens for every sequence.", nameof(message));
        }

        var batch = Enumerable.Range(0, message.Tokens.Length)
            .Select(i => new SequenceInput(message.Blocks[i], message.StartPositions[i], message.Tokens[i])).ToArray();
        var operations = message.Operations
            .Select(o => o.Move ? KvOperation.Move(o.Blocks, o.From, o.To, o.Length) : KvOperation.Copy(o.Source, o.Target)).ToArray();
        return new ShardStep(message.Step, message.Coordinator, batch, operations);
    }

    public static byte[] ToBytes(float[] values) => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    public static float[] ToFloats(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length % sizeof(float) != 0)
        {
            throw new ArgumentException($"{bytes.Length} bytes are not a whole number of float32 values.", nameof(bytes));
        }

        return MemoryMarshal.Cast<byte, float>(bytes).ToArray();
    }

    public static ShardReply ToReply(ShardOutput output) => new()
    {
        Pool = output.Pool,
        Data = ToBytes(output.Data),
        MaxSeqLen = output.Layout.MaxSeqLen,
        MaxBatchSize = output.Layout.MaxBatchSize,
        KvBlocks = output.Layout.Blocks,
        KvBlockSize = output.Layout.BlockSize,
        KvDType = (int)output.Layout.DType,
    };

    public static ShardOutput ToOutput(ShardReply reply) =>
        new(reply.Pool, new KvLayout(reply.MaxSeqLen, reply.MaxBatchSize, reply.KvBlocks, reply.KvBlockSize, (ScalarType)reply.KvDType), ToFloats(reply.Data));
}
