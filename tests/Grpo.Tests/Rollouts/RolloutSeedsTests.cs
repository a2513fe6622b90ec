// The seed a client sends names the local generator's stream: vLLM's child seed + k must land on stream + k, and a
// batch seed of the project's size survives the round trip.
using Grpo.Rollouts;
using Xunit;

namespace Grpo.Tests.Rollouts;

public class RolloutSeedsTests
{
    [Theory]
    [InlineData(0L, 0L)]
    [InlineData(42_000_126L, 96L)]
    [InlineData(7_000_021L + 3 * 1_000_000_007L, 1_048_575L)]
    public void A_row_seed_decodes_to_its_batch_seed_and_stream(long batchSeed, long stream)
    {
        Assert.True(RolloutSeeds.RoundTrips(batchSeed));
        Assert.Equal((batchSeed, stream), RolloutSeeds.Decode(RolloutSeeds.Encode(batchSeed, stream)));
    }

    [Fact]
    public void The_kth_child_of_a_seeded_request_is_the_kth_stream_after_the_first()
    {
        long seed = RolloutSeeds.Encode(123_456, 40);
        for (int k = 0; k < 8; k++) Assert.Equal((123_456L, 40L + k), RolloutSeeds.Decode(seed + k));
    }

    [Fact]
    public void Encoded_seeds_are_never_negative_and_streams_are_bounded()
    {
        Assert.True(RolloutSeeds.Encode(long.MaxValue, 5) >= 0);
        Assert.False(RolloutSeeds.RoundTrips(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => RolloutSeeds.Encode(1, RolloutSeeds.MaxStreams));
    }
}
