using Llama.Model;

namespace Llama.Parallel;

/// <summary>
/// A change to KV blocks the serving engine makes besides the forward's own writes: copying a shared block before it
/// is written, or a context shift. A distributed model ships them to every rank or stage with the next step, in order,
/// so that every pool stays in step with the engine's block tables.
/// </summary>
public sealed record KvOperation
{
    private KvOperation(KvOperationKind kind, int source, int target, int[] blocks, int from, int to, int length)
    {
        Kind = kind;
        Source = source;
        Target = target;
        Blocks = blocks;
        From = from;
        To = to;
        Length = length;
    }

    public KvOperationKind Kind { get; }

    public int Source { get; }

    public int Target { get; }

    public IReadOnlyList<int> Blocks { get; }

    public int From { get; }

    public int To { get; }

    public int Length { get; }

    public static KvOperation Copy(int source, int target) => new(KvOperationKind.Copy, source, target, [], 0, 0, 0);

    public static KvOperation Move(IReadOnlyList<int> blocks, int from, int to, int length) =>
        new(KvOperationKind.Move, 0, 0, [.. blocks], from, to, length);

    /// <summary>Performs the operation on one rank's or stage's pool.</summary>
    public void Apply(KvBlockPool pool, RotaryEmbedding rope)
    {
        ArgumentNullException.ThrowIfNull(pool);
        if (Kind == KvOperationKind.Copy)
        {
            pool.CopyBlock(Source, Target);
        }
        else
        {
            pool.Move(Blocks, From, To, Length, rope);
        }
    }
}

public enum KvOperationKind
{
    Copy,
    Move,
}
