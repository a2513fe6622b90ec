// What a layer's attention does with the keys and values it has just computed (after RoPE): a decoding cache stores
// them and returns everything cached so far; a training forward with a shared prompt records or prepends them.
using static TorchSharp.torch;

namespace Grpo.Model;

public interface IAttentionKeys
{
    /// <summary>keys/values [B, kvHeads, t, d] of one layer -> the keys/values the t queries attend to, [B, kvHeads, K, d].</summary>
    (Tensor Keys, Tensor Values) Append(int layer, Tensor keys, Tensor values);
}
