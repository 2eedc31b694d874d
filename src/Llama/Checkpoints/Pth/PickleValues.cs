namespace Llama.Checkpoints.Pth;

/// <summary>A module attribute named by a GLOBAL or STACK_GLOBAL opcode (never imported or run).</summary>
internal sealed record PickleGlobal(string Module, string Name)
{
    public override string ToString() => $"{Module}.{Name}";
}

/// <summary>A Python dict or collections.OrderedDict, keeping insertion order like both do.</summary>
internal sealed class PickleDict
{
    private readonly List<KeyValuePair<object, object?>> _items = [];
    private readonly Dictionary<object, int> _index = [];

    public IReadOnlyList<KeyValuePair<object, object?>> Items => _items;

    public void Set(object key, object? value)
    {
        if (_index.TryGetValue(key, out var at))
        {
            _items[at] = new(key, value);
        }
        else
        {
            _index.Add(key, _items.Count);
            _items.Add(new(key, value));
        }
    }
}

/// <summary>A storage a tensor views: BINPERSID's ('storage', type, key, location, numel).</summary>
/// <param name="TypeName">The storage class, e.g. <c>BFloat16Storage</c>.</param>
/// <param name="Key">Name of the archive member <c>data/KEY</c> holding the bytes.</param>
/// <param name="Location">Device it was saved from, e.g. <c>cpu</c> or <c>cuda:0</c>.</param>
/// <param name="ElementCount">Elements in the storage.</param>
internal sealed record TorchStorageRef(string TypeName, string Key, string Location, long ElementCount);

/// <summary>A tensor rebuilt by <c>torch._utils._rebuild_tensor_v2</c>: a strided view of a storage.</summary>
internal sealed record TorchTensorRef(TorchStorageRef Storage, long StorageOffset, long[] Shape, long[] Stride);
