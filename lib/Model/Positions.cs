// Position ids for left-padded batches, as transformers' generate computes them (tests/reference/README.md).
using Grpo.Torch;
using static TorchSharp.torch;

namespace Grpo.Model;

public static class Positions
{
    /// <summary>position_ids = cumsum(mask) - 1, with pad slots set to 1 (as Hugging Face generate does).</summary>
    public static Tensor FromAttentionMask(Tensor mask)
    {
        using var scope = NewDisposeScope();
        var m = mask.to(ScalarType.Int64);
        var pos = m.cumsum(-1).sub(HeldScalars.One);
        return pos.masked_fill(m.eq(HeldScalars.Zero), HeldScalars.One).MoveToOuterDisposeScope();
    }
}
