// How a sampling seed sent to a server names a row's random stream. vLLM seeds the k-th of a request's n completions
// with seed + k (vllm/v1/engine/parallel_sampling.py, ParentRequest._get_child_sampling_params); SGLang takes one
// sampling_seed per input. So the client sends, for the row that the local generator would draw from stream r of batch
// seed s, the seed (s << 20) | r: real engines get a distinct seed for every row, and `grpo serve` splits it back into
// (s, r) and draws exactly the local generator's tokens (TokenSampler.Uniform(s, r, step)).
namespace Grpo.Rollouts;

public static class RolloutSeeds
{
    const int StreamBits = 20;
    const long StreamMask = (1L << StreamBits) - 1;
    /// <summary>Batch seeds below 2^43 survive the round trip (the project's seeds are well below: seed * 1000003 + step).</summary>
    const long BatchSeedMask = (1L << (63 - StreamBits)) - 1;

    /// <summary>Rows per batch that get their own stream (2^20).</summary>
    public const int MaxStreams = 1 << StreamBits;

    /// <summary>The seed of the row drawn from stream <paramref name="stream"/> of batch seed <paramref name="batchSeed"/>;
    /// never negative.</summary>
    public static long Encode(long batchSeed, long stream)
    {
        if (stream is < 0 or >= MaxStreams) throw new ArgumentOutOfRangeException(nameof(stream), $"stream {stream} outside 0..{MaxStreams - 1}");
        return ((batchSeed & BatchSeedMask) << StreamBits) | stream;
    }

    /// <summary>The (batch seed, stream) a row seed stands for; any non-negative seed is valid.</summary>
    public static (long BatchSeed, long Stream) Decode(long seed) => (seed >> StreamBits, seed & StreamMask);

    /// <summary>True when <paramref name="batchSeed"/> comes back unchanged from Encode (0 &lt;= seed &lt; 2^43).</summary>
    public static bool RoundTrips(long batchSeed) => batchSeed >= 0 && batchSeed <= BatchSeedMask;
}
