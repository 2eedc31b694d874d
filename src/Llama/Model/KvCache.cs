using static TorchSharp.torch;

namespace Llama.Model;

/// <summary>
/// Keys and values of every layer for a fixed number of sequence slots, as Meta's cache_k/cache_v:
/// [slots, maxSeqLen, kvHeads, headDim] per layer. Zero-filled so unused rows are finite.
/// </summary>
public sealed class KvCache : IDisposable
{
    public KvCache(ModelArgs args, int slots, int maxSeqLen, ScalarType type, Device device)
    {
        Slots = slots;
        MaxSeqLen = maxSeqLen;
        Keys = new Tensor[args.NLayers];
        Values = new Tensor[args.NLayers];
        for (var layer = 0; layer < args.NLayers; layer++)
        {
            Keys[layer] = zeros([slots, maxSeqLen, args.KvHeads, args.HeadDim], type, device);
            Values[layer] = zeros([slots, maxSeqLen, args.KvHeads, args.HeadDim], type, device);
        }
    }

    public int Slots { get; }

    public int MaxSeqLen { get; }

    public Tensor[] Keys { get; }

    public Tensor[] Values { get; }

    public long Bytes => Keys.Sum(k => k.NumberOfElements * k.ElementSize) * 2;

    public void Dispose()
    {
        foreach (var t in Keys.Concat(Values))
        {
            t.Dispose();
        }
    }
}
