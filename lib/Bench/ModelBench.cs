// Throughput benchmark on a randomly initialised model: batched greedy generation (KV cache) and a training
// forward+backward pass (next-token log-probs through the chunked LM head, as the trainers compute them; chunk 0 = full
// logits and cross-entropy, the path before chunking), with the process's peak resident memory (VmHWM).
using System.Diagnostics;
using Grpo.Model;
using Grpo.Torch;
using TorchSharp;
using static TorchSharp.torch;
using Generator = Grpo.Model.Generator;

namespace Grpo.Bench;

public sealed record BenchOptions(int Prompts = 64, int PromptLength = 64, int NewTokens = 128,
    int TrainBatch = 4, int TrainSeqLength = 128, int TrainIterations = 2, long Seed = 0,
    bool Generate = true, bool Train = true, int LogitsChunkSize = ChunkedLogProbs.DefaultChunkSize, bool GradientCheckpointing = false);

/// <param name="GenerateGflops">Model FLOP/s of the generation (FlopsPerToken), in GFLOP/s; TrainGflops likewise
/// for forward+backward (3x the forward).</param>
public sealed record BenchResult(string Dtype, double GenerateSeconds, double GenerateTokensPerSecond,
    double TrainSecondsPerIteration, double TrainTokensPerSecond, double PeakRssGiB, double GenerateGflops = 0, double TrainGflops = 0);

public static class ModelBench
{
    /// <summary>Runs the measurements for one dtype (NaN for a part left out). Generation: Prompts x NewTokens greedy,
    /// prompt lengths between PromptLength/2 and PromptLength (left-padded), no eos so every row runs to the end.</summary>
    public static BenchResult Run(Qwen2Config config, ScalarType dtype, Device device, BenchOptions o, Action<string>? log = null)
    {
        log ??= _ => { };
        using var model = new Qwen2ForCausalLM(config, dtype, device);
        model.InitWeights(o.Seed);
        var (genSeconds, generated, generateFlops) = o.Generate ? TimeGeneration(model, dtype, o, log) : (double.NaN, 0L, double.NaN);
        double trainSeconds = o.Train ? TimeTraining(model, dtype, o, log) : double.NaN;
        double trainFlops = 3 * o.TrainBatch * o.TrainSeqLength * FlopsPerToken(config, o.TrainSeqLength / 2.0);
        return new BenchResult(TorchOptions.DtypeName(dtype), genSeconds, generated / genSeconds,
            trainSeconds, o.TrainBatch * o.TrainSeqLength / trainSeconds, PeakRssGiB(),
            generateFlops / genSeconds / 1e9, trainFlops / trainSeconds / 1e9);
    }

    static (double Seconds, long Tokens, double Flops) TimeGeneration(Qwen2ForCausalLM model, ScalarType dtype, BenchOptions o, Action<string> log)
    {
        var config = model.Config;
        var rng = new Random((int)o.Seed);
        var prompts = Enumerable.Range(0, o.Prompts)
            .Select(_ => Enumerable.Range(0, rng.Next(o.PromptLength / 2, o.PromptLength + 1)).Select(_ => rng.Next(0, config.VocabSize)).ToArray())
            .ToList();

        model.eval();
        log($"{TorchOptions.DtypeName(dtype)}: warm-up generation");
        Generator.Generate(model, prompts.Take(Math.Min(4, prompts.Count)).ToList(), new GenerationOptions(4, Greedy: true), [-1], 0);
        log($"{TorchOptions.DtypeName(dtype)}: generating {o.Prompts} x {o.NewTokens}");
        var sw = Stopwatch.StartNew();
        var gen = Generator.Generate(model, prompts, new GenerationOptions(o.NewTokens, Greedy: true), [-1], 0);
        var seconds = sw.Elapsed.TotalSeconds;
        long generated = gen.Sum(g => g.Ids.Length);
        // The prompts' prefill, then each new token attends to its prompt and the tokens before it.
        double promptTokens = prompts.Sum(p => p.Length), meanPrompt = promptTokens / prompts.Count;
        double flops = promptTokens * FlopsPerToken(config, meanPrompt / 2) + generated * FlopsPerToken(config, meanPrompt + o.NewTokens / 2.0);
        return (seconds, generated, flops);
    }

    /// <summary>Seconds per forward+backward of TrainBatch x TrainSeqLength random tokens, every weight trained.</summary>
    static double TimeTraining(Qwen2ForCausalLM model, ScalarType dtype, BenchOptions o, Action<string> log)
    {
        var (config, device) = (model.Config, model.Device);
        model.train();
        model.GradientCheckpointing = o.GradientCheckpointing;
        log($"{TorchOptions.DtypeName(dtype)}: forward+backward {o.TrainBatch} x {o.TrainSeqLength}, logits chunk {o.LogitsChunkSize}" +
            $"{(o.GradientCheckpointing ? ", gradient checkpointing" : "")}");
        double seconds = 0;
        int t = o.TrainSeqLength;
        var sw = new Stopwatch();
        for (int it = 0; it <= o.TrainIterations; it++)   // iteration 0 is warm-up
        {
            using var scope = NewDisposeScope();
            var ids = randint(0, config.VocabSize, [o.TrainBatch, t], dtype: ScalarType.Int64, device: device);
            var mask = ones_like(ids);
            sw.Restart();
            Tensor loss;
            if (o.LogitsChunkSize > 0)
            {
                var hidden = model.HiddenStates(ids, mask, Positions.FromAttentionMask(mask), null);
                var (logp, _) = ChunkedLogProbs.Compute(hidden.narrow(1, 0, t - 1), model.LmHeadWeight, ids.narrow(1, 1, t - 1), 1.0, o.LogitsChunkSize);
                loss = logp.mean().neg();
            }
            else
            {
                var logits = model.forward(ids, mask, Positions.FromAttentionMask(mask));
                loss = nn.functional.cross_entropy(logits.narrow(1, 0, t - 1).reshape(-1, config.VocabSize).to(ScalarType.Float32),
                    ids.narrow(1, 1, t - 1).reshape(-1));
            }
            loss.backward();
            _ = loss.item<float>();
            if (it > 0) seconds += sw.Elapsed.TotalSeconds;
            model.zero_grad();
        }
        return seconds / Math.Max(1, o.TrainIterations);
    }

    /// <summary>Forward FLOPs of one token: 2 per weight of every projection and of the LM head, plus attention's
    /// 4 x hidden per key it attends to in each layer (q k^T and the weighted sum of v over all heads).</summary>
    public static double FlopsPerToken(Qwen2Config c, double keysAttended)
    {
        double kv = c.NumKeyValueHeads * c.HeadDim;
        double perLayer = c.HiddenSize * (c.HiddenSize + 2 * kv) + c.HiddenSize * c.HiddenSize + 3.0 * c.HiddenSize * c.IntermediateSize;
        return 2 * (c.NumHiddenLayers * perLayer + (double)c.HiddenSize * c.VocabSize) + 4.0 * c.NumHiddenLayers * c.HiddenSize * keysAttended;
    }

    /// <summary>Peak resident set size of this process (VmHWM of /proc/self/status), GiB; NaN where unavailable.</summary>
    public static double PeakRssGiB()
    {
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:"));
            return line is null ? double.NaN : StatusKiB(line) / (1024.0 * 1024.0);
        }
        catch (IOException) { return double.NaN; }
    }

    /// <summary>Sets this process's peak RSS (VmHWM) back to its current RSS (Linux: "5" into /proc/self/clear_refs), so
    /// that the next PeakRssGiB is the peak from now on; false where that is not possible.</summary>
    public static bool ResetPeakRss()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    /// <summary>The kB value of a /proc/self/status line such as "VmHWM:\t  123456 kB": the padding before the number
    /// is spaces and/or a tab (a tab alone once the number has 8 digits).</summary>
    public static long StatusKiB(string line)
    {
        var fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        return fields.Length >= 2 && long.TryParse(fields[1], out var kib) ? kib
            : throw new FormatException($"/proc/self/status: no kB value in \"{line}\"");
    }

    /// <summary>The glibc settings of GlibcMalloc that keep freed memory for reuse; they must be set before the process starts.</summary>
    public static readonly (string Name, string Value)[] RecommendedMalloc =
        [("MALLOC_MMAP_THRESHOLD_", "33554432"), ("MALLOC_TRIM_THRESHOLD_", "68719476736"), ("MALLOC_TOP_PAD_", "1073741824")];
}
