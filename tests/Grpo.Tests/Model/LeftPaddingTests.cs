// Left padding written once (LeftPadding.Fill, used by the GRPO micro-batches and SFT batches; SFT's layout is pinned in
// SupervisedTrainerTests): tokens end at the right edge, pad slots hold the pad id with mask 0.
using Grpo.Model;
using Xunit;

namespace Grpo.Tests.Model;

public class LeftPaddingTests
{
    [Fact]
    public void Tokens_end_at_the_right_edge_after_pad_slots_masked_out()
    {
        var ids = new long[5];
        var mask = new long[5];
        Assert.Equal(2, LeftPadding.Fill(ids, mask, [7, 8, 9], padId: 99));
        Assert.Equal([99, 99, 7, 8, 9], ids);
        Assert.Equal([0, 0, 1, 1, 1], mask);
        Assert.Equal(0, LeftPadding.Fill(ids, mask, [1, 2, 3, 4, 5], padId: 99));
        Assert.Equal([1, 1, 1, 1, 1], mask);
        Assert.Throws<ArgumentException>(() => LeftPadding.Fill(new long[2], new long[2], [1, 2, 3], 0));
    }
}
