// Preallocated key/value cache for incremental decoding: one [B, kvHeads, capacity, headDim] buffer pair per layer,
// filled in place (no per-token reallocation).
using static TorchSharp.torch;

namespace Grpo.Model;

public sealed class KvCache : IAttentionKeys, IDisposable
{
    readonly Tensor[] keys, values;

    /// <summary>Number of positions already written (the same for every row: pads occupy slots, masked out).</summary>
    public int Length { get; private set; }
    public int Capacity { get; }
    public int BatchSize { get; }

    public KvCache(Qwen2Config config, int batchSize, int capacity, ScalarType dtype, Device device)
    {
        Capacity = capacity;
        BatchSize = batchSize;
        keys = new Tensor[config.NumHiddenLayers];
        values = new Tensor[config.NumHiddenLayers];
        for (int i = 0; i < keys.Length; i++)
        {
            // Zeros, not empty: unwritten slots are masked, but must not hold NaN/Inf bit patterns.
            // Detached from any dispose scope: the cache owns its buffers until Dispose.
            keys[i] = zeros([batchSize, config.NumKeyValueHeads, capacity, config.HeadDim], dtype, device).DetachFromDisposeScope();
            values[i] = zeros([batchSize, config.NumKeyValueHeads, capacity, config.HeadDim], dtype, device).DetachFromDisposeScope();
        }
    }

    /// <summary>Writes k/v [B, kvHeads, t, d] of one layer at slots Length..Length+t and returns the whole buffers.</summary>
    internal (Tensor Keys, Tensor Values) Append(int layer, Tensor k, Tensor v)
    {
        var t = (int)k.shape[2];
        if (Length + t > Capacity)
            throw new InvalidOperationException($"KV cache full: {Length} + {t} > capacity {Capacity}");
        keys[layer].narrow(2, Length, t).copy_(k);
        values[layer].narrow(2, Length, t).copy_(v);
        return (keys[layer], values[layer]);
    }

    (Tensor Keys, Tensor Values) IAttentionKeys.Append(int layer, Tensor keys, Tensor values) => Append(layer, keys, values);

    /// <summary>Called once per forward, after every layer appended t positions.</summary>
    internal void Advance(int t) => Length += t;

    public void Reset() => Length = 0;

    public void Dispose()
    {
        foreach (var t in keys) t.Dispose();
        foreach (var t in values) t.Dispose();
    }
}
