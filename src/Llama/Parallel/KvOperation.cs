using Llama.Model;

namespace Llama.Parallel;

/// <summary>
/// A change to KV blocks the serving engine makes besides the forward's own writes: copying a shared block before it
/// is written, or a context shift. A distributed model ships them to every rank or stage with the next step, in order,
/// so that every pool stays in step with the engine's block tables.
/// </summary>
public sealed record KvOperation
{
    private KvOperation()
    {
    }

    public KvOperationKind Kind { get; private init; }

    public int Source { get; private init; }

    public int Target { get; private init; }

    public IReadOnlyList<int> Blocks { get; private init; } = [];

    public int From { get; private init; }

    public int To { get; private init; }

    public int Length { get; private init; }

    public static KvOperation Copy(int source, int target) => new() { Kind = KvOperationKind.Copy, Source = source, Target = target };

    public static KvOperation Move(IReadOnlyList<int> blocks, int from, int to, int length) =>
        new() { Kind = KvOperationKind.Move, Blocks = [.. blocks], From = from, To = to, Length = length };

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
