using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace Llama.Checkpoints.Pth;

/// <summary>
/// Evaluates the subset of the pickle protocol that <c>torch.save</c> emits for a state dict: dicts,
/// OrderedDicts, tuples, lists, ints, floats, strings, booleans, None, storages by persistent id and
/// tensors rebuilt by <c>torch._utils._rebuild_tensor_v2</c>. Nothing is imported or executed; any
/// other opcode or callable is an error naming it.
/// </summary>
internal sealed class PickleMachine
{
    private static readonly object Mark = new();

    private readonly byte[] _code;
    private readonly string _source;
    private readonly List<object?> _stack = [];
    private readonly Stack<int> _marks = new();
    private readonly Dictionary<long, object?> _memo = [];
    private int _position;

    private PickleMachine(byte[] code, string source)
    {
        _code = code;
        _source = source;
    }

    /// <summary>Runs a pickle and returns the object it builds.</summary>
    /// <param name="code">The pickle's bytes.</param>
    /// <param name="source">Where the pickle came from, for messages.</param>
    public static object? Load(ReadOnlySpan<byte> code, string source) => new PickleMachine(code.ToArray(), source).Run();

    private object? Run()
    {
        while (true)
        {
            var at = _position;
            var opcode = ReadByte();
            switch (opcode)
            {
                case 0x80: // PROTO
                    ReadByte();
                    break;
                case 0x95: // FRAME: a length hint only
                    ReadBytes(8);
                    break;
                case (byte)'.': // STOP
                    return Pop();
                case (byte)'(':
                    _marks.Push(_stack.Count);
                    break;
                case (byte)'}':
                    Push(new PickleDict());
                    break;
                case (byte)']':
                    Push(new List<object?>());
                    break;
                case (byte)')':
                    Push(Array.Empty<object?>());
                    break;
                case (byte)'N':
                    Push(null);
                    break;
                case 0x88:
                    Push(true);
                    break;
                case 0x89:
                    Push(false);
                    break;
                case (byte)'J': // BININT
                    Push((long)BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4)));
                    break;
                case (byte)'K': // BININT1
                    Push((long)ReadByte());
                    break;
                case (byte)'M': // BININT2
                    Push((long)BinaryPrimitives.ReadUInt16LittleEndian(ReadBytes(2)));
                    break;
                case 0x8a: // LONG1
                    Push(ReadLong(ReadByte(), at));
                    break;
                case (byte)'G': // BINFLOAT
                    Push(BinaryPrimitives.ReadDoubleBigEndian(ReadBytes(8)));
                    break;
                case (byte)'X': // BINUNICODE
                    Push(ReadString(BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4))));
                    break;
                case 0x8c: // SHORT_BINUNICODE
                    Push(ReadString(ReadByte()));
                    break;
                case 0x8d: // BINUNICODE8
                    Push(ReadString(BinaryPrimitives.ReadInt64LittleEndian(ReadBytes(8))));
                    break;
                case (byte)'c': // GLOBAL
                    Push(new PickleGlobal(ReadLine(), ReadLine()));
                    break;
                case 0x93: // STACK_GLOBAL
                    {
                        var name = Pop();
                        var module = Pop();
                        if (module is not string m || name is not string n)
                        {
                            throw Error(at, "STACK_GLOBAL needs two strings");
                        }

                        Push(new PickleGlobal(m, n));
                        break;
                    }

                case (byte)'q': // BINPUT
                    _memo[ReadByte()] = Top(at);
                    break;
                case (byte)'r': // LONG_BINPUT
                    _memo[BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4))] = Top(at);
                    break;
                case 0x94: // MEMOIZE
                    _memo[_memo.Count] = Top(at);
                    break;
                case (byte)'h': // BINGET
                    Push(Recall(ReadByte(), at));
                    break;
                case (byte)'j': // LONG_BINGET
                    Push(Recall(BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4)), at));
                    break;
                case (byte)'t': // TUPLE
                    Push(PopToMark(at).ToArray());
                    break;
                case 0x85: // TUPLE1
                    Push(new[] { Pop() });
                    break;
                case 0x86: // TUPLE2
                    {
                        var b = Pop();
                        var a = Pop();
                        Push(new[] { a, b });
                        break;
                    }

                case 0x87: // TUPLE3
                    {
                        var c = Pop();
                        var b = Pop();
                        var a = Pop();
                        Push(new[] { a, b, c });
                        break;
                    }

                case (byte)'a': // APPEND
                    {
                        var item = Pop();
                        ListAt(at).Add(item);
                        break;
                    }

                case (byte)'e': // APPENDS
                    {
                        var items = PopToMark(at);
                        ListAt(at).AddRange(items);
                        break;
                    }

                case (byte)'s': // SETITEM
                    {
                        var value = Pop();
                        var key = Pop();
                        DictAt(at).Set(Key(key, at), value);
                        break;
                    }

                case (byte)'u': // SETITEMS
                    {
                        var items = PopToMark(at);
                        var dict = DictAt(at);
                        for (var i = 0; i + 1 < items.Count; i += 2)
                        {
                            dict.Set(Key(items[i], at), items[i + 1]);
                        }

                        break;
                    }

                case (byte)'0': // POP
                    Pop();
                    break;
                case (byte)'1': // POP_MARK
                    PopToMark(at);
                    break;
                case (byte)'2': // DUP
                    Push(Top(at));
                    break;
                case (byte)'Q': // BINPERSID
                    Push(PersistentLoad(Pop(), at));
                    break;
                case (byte)'R': // REDUCE
                    {
                        var args = Pop();
                        var callable = Pop();
                        Push(Reduce(callable, args, at));
                        break;
                    }

                case (byte)'b': // BUILD
                    Build(Pop(), at);
                    break;
                default:
                    throw Error(at, $"opcode {PickleOpcodes.Describe(opcode)} is outside the subset torch.save uses for a state dict");
            }
        }
    }

    /// <summary>torch.save's persistent ids: ('storage', storage class, key, location, element count).</summary>
    private TorchStorageRef PersistentLoad(object? pid, int at)
    {
        if (pid is object?[] { Length: 5 } t && t[0] is "storage" && t[1] is PickleGlobal type &&
            t[2] is string key && t[3] is string location && t[4] is long count)
        {
            return new TorchStorageRef(type.Name, key, location, count);
        }

        throw Error(at, $"unsupported persistent id {Describe(pid)}");
    }

    private object? Reduce(object? callable, object? args, int at)
    {
        if (callable is not PickleGlobal function || args is not object?[] a)
        {
            throw Error(at, $"REDUCE of {Describe(callable)} with {Describe(args)} is not supported");
        }

        switch (function.Module, function.Name)
        {
            case ("collections", "OrderedDict") when a.Length == 0:
                return new PickleDict();
            case ("torch._utils", "_rebuild_tensor_v2") when a.Length >= 4:
                if (a[0] is TorchStorageRef storage && a[1] is long offset && a[2] is object?[] size && a[3] is object?[] stride)
                {
                    return new TorchTensorRef(storage, offset, Longs(size, at), Longs(stride, at));
                }

                throw Error(at, "_rebuild_tensor_v2 expects (storage, offset, size, stride, ...)");
            case ("torch._utils", "_rebuild_parameter") when a.Length >= 1 && a[0] is TorchTensorRef tensor:
                return tensor;
            default:
                throw Error(at, $"calling {function} is not supported (only tensors, storages and dicts are read)");
        }
    }

    /// <summary>BUILD sets an object's state; the only such state in a state dict is OrderedDict's <c>_metadata</c>.</summary>
    private void Build(object? state, int at)
    {
        if (Top(at) is not PickleDict || state is not (PickleDict or null))
        {
            throw Error(at, $"BUILD of {Describe(Top(at))} with {Describe(state)} is not supported");
        }
    }

    private long[] Longs(object?[] values, int at) =>
        values.Select(v => v is long l ? l : throw Error(at, $"expected integers, got {Describe(v)}")).ToArray();

    private object Key(object? key, int at) => key ?? throw Error(at, "a dict key is None");

    private object? Recall(long index, int at) =>
        _memo.TryGetValue(index, out var value) ? value : throw Error(at, $"memo entry {index} is not defined");

    private PickleDict DictAt(int at) =>
        Top(at) as PickleDict ?? throw Error(at, $"expected a dict, found {Describe(Top(at))}");

    private List<object?> ListAt(int at) =>
        Top(at) as List<object?> ?? throw Error(at, $"expected a list, found {Describe(Top(at))}");

    private void Push(object? value) => _stack.Add(value);

    private object? Pop()
    {
        if (_stack.Count == 0 || (_marks.Count > 0 && _marks.Peek() == _stack.Count))
        {
            throw Error(_position - 1, "stack underflow");
        }

        var value = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return value;
    }

    private object? Top(int at) => _stack.Count > 0 ? _stack[^1] : throw Error(at, "stack underflow");

    private List<object?> PopToMark(int at)
    {
        if (_marks.Count == 0)
        {
            throw Error(at, "no MARK on the stack");
        }

        var mark = _marks.Pop();
        var items = _stack.GetRange(mark, _stack.Count - mark);
        _stack.RemoveRange(mark, _stack.Count - mark);
        return items;
    }

    private byte ReadByte() => ReadBytes(1)[0];

    private ReadOnlySpan<byte> ReadBytes(long count)
    {
        if (count < 0 || count > _code.Length - _position)
        {
            throw Error(_position, "the pickle ends in the middle of an opcode (truncated)");
        }

        var span = _code.AsSpan(_position, (int)count);
        _position += (int)count;
        return span;
    }

    private string ReadString(long length) => Encoding.UTF8.GetString(ReadBytes(length));

    private string ReadLine()
    {
        var end = Array.IndexOf(_code, (byte)'\n', _position);
        if (end < 0)
        {
            throw Error(_position, "GLOBAL's name is not terminated (truncated)");
        }

        var line = Encoding.UTF8.GetString(_code, _position, end - _position);
        _position = end + 1;
        return line;
    }

    private long ReadLong(int length, int at)
    {
        var value = new BigInteger(ReadBytes(length), isUnsigned: false, isBigEndian: false);
        return value >= long.MinValue && value <= long.MaxValue ? (long)value : throw Error(at, "integer out of range");
    }

    private static string Describe(object? value) => value switch
    {
        null => "None",
        string s => $"'{s}'",
        object?[] t => $"({string.Join(", ", t.Select(Describe))})",
        PickleDict => "dict",
        List<object?> => "list",
        _ => value.ToString() ?? value.GetType().Name,
    };

    private CheckpointException Error(int at, string what) => new($"{_source}: pickle at byte {at}: {what}.");
}
