// `bench`: tokens/s of batched greedy generation and of forward+backward for a Qwen2.5-0.5B-shaped model with
// random weights, per dtype, plus peak memory. Run with the MALLOC_* settings of GlibcMalloc (see docs/benchmarks.md).
using System.ComponentModel;
using Grpo.Model;
using Grpo.Torch;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Grpo.Cli.Commands;

public sealed class BenchCommand : Command<BenchCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--dtype <DTYPE>"), Description("float32, bfloat16 or both (default both; each in turn).")]
        public string Dtype { get; init; } = "both";
        [CommandOption("--device <DEVICE>"), Description("cpu (default) or cuda.")]
        public string Device { get; init; } = "cpu";
        [CommandOption("--model <DIR>"), Description("Use this folder's config.json shape instead of Qwen2.5-0.5B (weights stay random).")]
        public string? Model { get; init; }
        [CommandOption("--prompts <N>"), Description("Generation batch: prompts decoded together.")] public int Prompts { get; init; } = 64;
        [CommandOption("--prompt-length <N>"), Description("Tokens per random prompt.")] public int PromptLength { get; init; } = 64;
        [CommandOption("--new-tokens <N>"), Description("Tokens generated per prompt (greedy).")] public int NewTokens { get; init; } = 128;
        [CommandOption("--train-batch <N>"), Description("Sequences per forward+backward.")] public int TrainBatch { get; init; } = 4;
        [CommandOption("--train-seq <N>"), Description("Tokens per training sequence.")] public int TrainSeq { get; init; } = 128;
        [CommandOption("--train-iters <N>"), Description("Timed forward+backward iterations.")] public int TrainIters { get; init; } = 2;
        [CommandOption("--threads <N>"), Description("torch intra-op threads (default: libtorch's choice).")]
        public int? Threads { get; init; }
        [CommandOption("--part <PART>"), Description("generate, train or both (default).")]
        public string Part { get; init; } = "both";
        [CommandOption("--logits-chunk <N>"), Description("Positions per chunk of the LM head + log-softmax in forward+backward (0: full logits and cross-entropy, the path before chunking).")]
        public int LogitsChunk { get; init; } = ChunkedLogProbs.DefaultChunkSize;
        [CommandOption("--gradient-checkpointing"), Description("Recompute each decoder layer in backward during forward+backward.")]
        public bool GradientCheckpointing { get; init; }
        [CommandOption("--save-model <DIR>"), Description("Write the random model (the shape and first dtype above) as a Hugging Face folder to DIR and exit, e.g. for `train --model DIR --synthetic-token ID`.")]
        public string? SaveModel { get; init; }

        public override ValidationResult Validate() =>
            new[] { Prompts, PromptLength, NewTokens, TrainBatch, TrainSeq, TrainIters }.Any(n => n < 1)
                ? ValidationResult.Error("--prompts, --prompt-length, --new-tokens, --train-batch, --train-seq and --train-iters must be >= 1")
            : Threads is < 1 ? ValidationResult.Error($"--threads must be >= 1, got {Threads}")
            : Dtype is not ("both" or "float32" or "bfloat16" or "float16") ? ValidationResult.Error($"--dtype must be float32, bfloat16, float16 or both, got '{Dtype}'")
            : Part is not ("both" or "generate" or "train") ? ValidationResult.Error($"--part must be generate, train or both, got '{Part}'")
            : LogitsChunk < 0 ? ValidationResult.Error($"--logits-chunk must be >= 0, got {LogitsChunk}")
            : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        if (s.Threads is int t) TorchSharp.torch.set_num_threads(t);
        var missing = ModelBench.RecommendedMalloc.Where(m => Environment.GetEnvironmentVariable(m.Name) != m.Value).ToList();
        if (missing.Count > 0)
            AnsiConsole.MarkupLine("[yellow]MALLOC_* settings not set; for comparable numbers run with " +
                Markup.Escape(string.Join(" ", ModelBench.RecommendedMalloc.Select(m => $"{m.Name}={m.Value}"))) + "[/]");
        var config = s.Model is null ? Qwen2Config.Qwen25_05B : Qwen2Config.Load(s.Model);
        var device = TorchOptions.ParseDevice(s.Device);
        var dtypes = s.Dtype == "both" ? ["float32", "bfloat16"] : new[] { s.Dtype };
        if (s.SaveModel is not null)
        {
            using var random = new Qwen2ForCausalLM(config, TorchOptions.ParseDtype(dtypes[0]), device);
            random.InitWeights(0);
            random.SavePretrained(s.SaveModel);
            AnsiConsole.MarkupLine($"wrote a random {dtypes[0]} model to {Markup.Escape(s.SaveModel)}");
            return 0;
        }
        var o = new BenchOptions(s.Prompts, s.PromptLength, s.NewTokens, s.TrainBatch, s.TrainSeq, s.TrainIters,
            Generate: s.Part != "train", Train: s.Part != "generate", LogitsChunkSize: s.LogitsChunk, GradientCheckpointing: s.GradientCheckpointing);
        AnsiConsole.MarkupLine($"model: hidden {config.HiddenSize}, {config.NumHiddenLayers} layers, {config.NumAttentionHeads}/{config.NumKeyValueHeads} heads, " +
            $"intermediate {config.IntermediateSize}, vocab {config.VocabSize}, tied {config.TieWordEmbeddings}; device {s.Device}, threads {TorchSharp.torch.get_num_threads()}");

        var table = new Table().AddColumns("dtype", $"generate {o.Prompts}x{o.NewTokens} (s)", "generate tokens/s",
            $"fwd+bwd {o.TrainBatch}x{o.TrainSeqLength} (s/iter)", "fwd+bwd tokens/s", "peak RSS (GiB, process so far)");
        foreach (var name in dtypes)
        {
            var r = ModelBench.Run(config, TorchOptions.ParseDtype(name), device, o, msg => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(msg)}[/]"));
            table.AddRow(r.Dtype, r.GenerateSeconds.ToString("F1"), r.GenerateTokensPerSecond.ToString("F1"),
                r.TrainSecondsPerIteration.ToString("F2"), r.TrainTokensPerSecond.ToString("F1"), r.PeakRssGiB.ToString("F2"));
            Console.Out.WriteLine(System.Text.Json.JsonSerializer.Serialize(r));
        }
        AnsiConsole.Write(table);
        return 0;
    }
}
