// Preallocated key/value cache for incremental decoding: one [rows, kvHeads, capacity, headDim] buffer pair per layer,
// filled in place (no per-token reallocation), plus which slots of each row hold padding. Rows can be re-picked
// (SelectRows): the generator expands one prefilled prompt to its G completions and drops finished rows.
using Grpo.Torch;
using static TorchSharp.torch;

namespace Grpo.Model;

public sealed class KvCache : IAttentionKeys, IDisposable
{
    readonly Tensor[] keyBuffers, valueBuffers;
    readonly Tensor keyPaddingBuffer;
    // The first Rows rows of the buffers (views, remade when Rows changes).
    Tensor[] keys, values;
    Tensor keyPadding;

    /// <summary>Number of positions already written (the same for every row: pads occupy slots, masked out).</summary>
    public int Length { get; private set; }
    public int Capacity { get; }
    /// <summary>Rows the buffers can hold.</summary>
    public int BatchSize { get; }
    /// <summary>Rows in use (the first Rows of the buffers); BatchSize until SelectRows changes it.</summary>
    public int Rows { get; private set; }

    /// <param name="rows">Rows in use at first (default: all); SelectRows can use up to batchSize.</param>
    public KvCache(Qwen2Config config, int batchSize, int capacity, ScalarType dtype, Device device, int? rows = null)
    {
        if (rows is < 1 || rows > batchSize) throw new ArgumentException($"rows {rows} must be in [1, {batchSize}]");
        Capacity = capacity;
        BatchSize = batchSize;
        keyBuffers = new Tensor[config.NumHiddenLayers];
        valueBuffers = new Tensor[config.NumHiddenLayers];
        for (int i = 0; i < keyBuffers.Length; i++)
        {
            // Zeros, not empty: unwritten slots are masked, but must not hold NaN/Inf bit patterns.
            // Detached from any dispose scope: the cache owns its buffers until Dispose.
            keyBuffers[i] = zeros([batchSize, config.NumKeyValueHeads, capacity, config.HeadDim], dtype, device).DetachFromDisposeScope();
            valueBuffers[i] = zeros([batchSize, config.NumKeyValueHeads, capacity, config.HeadDim], dtype, device).DetachFromDisposeScope();
        }
        // Additive, broadcast over heads and queries: 0 = the slot holds a token, the dtype's minimum = padding.
        keyPaddingBuffer = zeros([batchSize, 1, 1, capacity], dtype, device).DetachFromDisposeScope();
        (keys, values, keyPadding) = (keyBuffers, valueBuffers, keyPaddingBuffer);
        Rows = BatchSize;
        if (rows is int r && r < batchSize) UseRows(r);
    }

    /// <summary>Writes k/v [Rows, kvHeads, t, d] of one layer at slots Length..Length+t and returns the filled part
    /// of the buffers (slots 0..Length+t).</summary>
    internal (Tensor Keys, Tensor Values) Append(int layer, Tensor k, Tensor v)
    {
        var t = (int)k.shape[2];
        if (Length + t > Capacity)
            throw new InvalidOperationException($"KV cache full: {Length} + {t} > capacity {Capacity}");
        keys[layer].narrow(2, Length, t).copy_(k);
        values[layer].narrow(2, Length, t).copy_(v);
        return (keys[layer].narrow(2, 0, Length + t), values[layer].narrow(2, 0, Length + t));
    }

    (Tensor Keys, Tensor Values) IAttentionKeys.Append(int layer, Tensor keys, Tensor values) => Append(layer, keys, values);

    /// <summary>Called once per forward, after every layer appended t positions.</summary>
    internal void Advance(int t) => Length += t;

    /// <summary>Marks the slots Length..Length+t of each row as token (mask 1) or padding (mask 0); mask [Rows, t].</summary>
    internal void SetPadding(Tensor mask)
    {
        using var scope = NewDisposeScope();
        var t = mask.shape[1];
        var pad = mask.eq(HeldScalars.Zero).view(Rows, 1, 1, t);
        keyPadding.narrow(3, Length, t).zero_().masked_fill_(pad, HeldScalars.Of(finfo(keyPadding.dtype).min));
    }

    /// <summary>The additive padding mask [Rows, 1, 1, Length + t] for a forward that appends t positions.</summary>
    internal Tensor KeyPadding(int t) => keyPadding.narrow(3, 0, Length + t);

    /// <summary>Row i becomes old row rows[i] (rows may repeat, skip or reorder; at most BatchSize of them). Only the
    /// filled slots are copied.</summary>
    public void SelectRows(Tensor rows)
    {
        int n = (int)rows.shape[0];
        if (n > BatchSize) throw new ArgumentException($"{n} rows selected, but the cache holds at most {BatchSize}");
        using (var scope = NewDisposeScope())
        {
            for (int i = 0; i < keys.Length; i++)
            {
                Pick(keys[i], keyBuffers[i], 2, rows);
                Pick(values[i], valueBuffers[i], 2, rows);
            }
            Pick(keyPadding, keyPaddingBuffer, 3, rows);
        }
        UseRows(n);
    }

    void UseRows(int n)
    {
        DisposeViews();
        Rows = n;
        keys = keyBuffers.Select(b => Narrowed(b, n)).ToArray();
        values = valueBuffers.Select(b => Narrowed(b, n)).ToArray();
        keyPadding = Narrowed(keyPaddingBuffer, n);
    }

    // Through a copy: the rows picked from and the rows written overlap in the same buffer.
    void Pick(Tensor current, Tensor buffer, int slotDim, Tensor rows)
    {
        var picked = current.narrow(slotDim, 0, Length).index_select(0, rows);
        buffer.narrow(0, 0, rows.shape[0]).narrow(slotDim, 0, Length).copy_(picked);
    }

    Tensor Narrowed(Tensor buffer, int n) => n == BatchSize ? buffer : buffer.narrow(0, 0, n).DetachFromDisposeScope();

    void DisposeViews()
    {
        if (Rows == BatchSize) return;   // the views are the buffers themselves
        foreach (var t in keys.Concat(values).Append(keyPadding)) t.Dispose();
    }

    public void Dispose()
    {
        DisposeViews();
        foreach (var t in keyBuffers) t.Dispose();
        foreach (var t in valueBuffers) t.Dispose();
        keyPaddingBuffer.Dispose();
    }
}
