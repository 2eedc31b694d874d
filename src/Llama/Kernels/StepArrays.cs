using System.Buffers;

namespace Llama.Kernels;

/// <summary>
/// The working arrays of one forward step, rented from the shared array pool and given back when the step ends. A step
/// of 32 rows needs megabytes of them: as fresh arrays each step they are large objects, whose churn (collections, and
/// pages handed back and faulted in again) cost milliseconds a step. A rented array may be longer than asked for and
/// hold an earlier step's values: every user writes its elements before reading them.
/// </summary>
internal sealed class StepArrays : IDisposable
{
    private readonly List<float[]> _rented = [];

    public float[] Rent(int length)
    {
        var array = ArrayPool<float>.Shared.Rent(length);
        _rented.Add(array);
        return array;
    }

    public void Dispose()
    {
        foreach (var array in _rented)
        {
            ArrayPool<float>.Shared.Return(array);
        }

        _rented.Clear();
    }
}
