// `bench`: where the time goes, with the share of the machine's measured matmul peak. Parts: `peak` (a large matmul
// per dtype), `tiny` (the tiny preset's GRPO step split into generation / reference / update, and the evaluation of
// held-out problems, greedy + samples) and `model` (batched greedy generation and forward+backward of a
// Qwen2.5-0.5B-shaped model with random weights, per dtype, plus peak memory). The shares are of the peak a fresh
// process measures (FreshProcessPeak), as a standalone `bench --parts peak` does; this process's own reading is printed
// beside it. Run with the MALLOC_* settings of GlibcMalloc (see docs/benchmarks.md).
using System.ComponentModel;
using Grpo.Bench;
using Grpo.Countdown;
using Grpo.Evaluation;
using Grpo.Model;
using Grpo.Pipeline;
using Grpo.Torch;
using Grpo.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Grpo.Cli.Commands;

public sealed class BenchCommand : Command<BenchCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--parts <PARTS>"), Description("Comma-separated: peak, tiny, model (default all three).")]
        public string Parts { get; init; } = "peak,tiny,model";
        [CommandOption("--dtype <DTYPE>"), Description("model part: float32, bfloat16 or both (default both; each in turn).")]
        public string Dtype { get; init; } = "both";
        [CommandOption("--device <DEVICE>"), Description("cpu (default) or cuda.")]
        public string Device { get; init; } = "cpu";
        [CommandOption("--model <DIR>"), Description("model part: this folder's config.json shape instead of Qwen2.5-0.5B (weights stay random).")]
        public string? Model { get; init; }
        [CommandOption("--prompts <N>"), Description("model part: prompts decoded together.")] public int Prompts { get; init; } = 64;
        [CommandOption("--prompt-length <N>"), Description("model part: tokens per random prompt.")] public int PromptLength { get; init; } = 64;
        [CommandOption("--new-tokens <N>"), Description("model part: tokens generated per prompt (greedy).")] public int NewTokens { get; init; } = 128;
        [CommandOption("--train-batch <N>"), Description("model part: sequences per forward+backward.")] public int TrainBatch { get; init; } = 4;
        [CommandOption("--train-seq <N>"), Description("model part: tokens per training sequence.")] public int TrainSeq { get; init; } = 128;
        [CommandOption("--train-iters <N>"), Description("model part: timed forward+backward iterations.")] public int TrainIters { get; init; } = 2;
        [CommandOption("--tiny-model <DIR>"), Description("tiny part: the model folder (default: the tiny preset's).")]
        public string? TinyModel { get; init; }
        [CommandOption("--steps <N>"), Description("tiny part: timed GRPO steps (after one untimed).")] public int Steps { get; init; } = 3;
        [CommandOption("--eval-problems <N>"), Description("tiny part: held-out problems evaluated.")] public int EvalProblems { get; init; } = 100;
        [CommandOption("--eval-samples <K>"), Description("tiny part: samples per problem besides greedy decoding.")] public int EvalSamples { get; init; } = 8;
        [CommandOption("--threads <N>"), Description("torch intra-op threads (default: libtorch's choice).")]
        public int? Threads { get; init; }
        [CommandOption("--model-part <PART>"), Description("model part: generate, train or both (default).")]
        public string ModelPart { get; init; } = "both";
        [CommandOption("--logits-chunk <N>"), Description("model part: positions per chunk of the LM head + log-softmax in forward+backward (0: full logits and cross-entropy, the path before chunking).")]
        public int LogitsChunk { get; init; } = ChunkedLogProbs.DefaultChunkSize;
        [CommandOption("--gradient-checkpointing"), Description("model part: recompute each decoder layer in backward during forward+backward.")]
        public bool GradientCheckpointing { get; init; }
        [CommandOption("--peak-dtypes <LIST>"), Description("peak part: comma-separated dtypes (default float32,bfloat16).")]
        public string PeakDtypes { get; init; } = "float32,bfloat16";
        [CommandOption("--save-model <DIR>"), Description("Write the random model (the model part's shape, first dtype) as a Hugging Face folder to DIR and exit, e.g. for `bench-step --model DIR --synthetic-token ID`.")]
        public string? SaveModel { get; init; }

        public string[] PartList => Parts.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        public string[] PeakDtypeList => PeakDtypes.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        public override ValidationResult Validate() =>
            new[] { Prompts, PromptLength, NewTokens, TrainBatch, TrainSeq, TrainIters, Steps, EvalProblems }.Any(n => n is < 1 or > GrpoConfig.MaxSize)
                ? ValidationResult.Error($"--prompts, --prompt-length, --new-tokens, --train-batch, --train-seq, --train-iters, --steps and --eval-problems must be 1 to {GrpoConfig.MaxSize}")
            : EvalSamples is < 0 or > EvalConfig.MaxSamples ? ValidationResult.Error($"--eval-samples must be 0 to {EvalConfig.MaxSamples}, got {EvalSamples}")
            : Threads is < 1 ? ValidationResult.Error($"--threads must be >= 1, got {Threads}")
            : ModelPart is not ("both" or "generate" or "train") ? ValidationResult.Error($"--model-part must be generate, train or both, got '{ModelPart}'")
            : LogitsChunk < 0 ? ValidationResult.Error($"--logits-chunk must be >= 0, got {LogitsChunk}")
            : Dtype is not ("both" or "float32" or "bfloat16" or "float16") ? ValidationResult.Error($"--dtype must be float32, bfloat16, float16 or both, got '{Dtype}'")
            : PeakDtypeList.Length == 0 || PeakDtypeList.Any(d => d is not ("float32" or "bfloat16" or "float16"))
                ? ValidationResult.Error($"--peak-dtypes must list float32, bfloat16 and/or float16, got '{PeakDtypes}'")
            : ValidationResult.Success();
    }

    static readonly System.Text.Json.JsonSerializerOptions JsonNaN =
        new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        var parts = s.PartList;
        if (parts.Length == 0 || parts.Any(p => p is not ("peak" or "tiny" or "model")))
            throw new BadInputException($"--parts must list peak, tiny and/or model, got '{s.Parts}'");
        if (s.Threads is int t) TorchThreads.Set(t);
        var missing = ModelBench.RecommendedMalloc.Where(m => Environment.GetEnvironmentVariable(m.Name) != m.Value).ToList();
        if (missing.Count > 0)
            AnsiConsole.MarkupLine("[yellow]MALLOC_* settings not set; for comparable numbers run with " +
                Markup.Escape(string.Join(" ", ModelBench.RecommendedMalloc.Select(m => $"{m.Name}={m.Value}"))) + "[/]");
        var device = TorchOptions.ParseDevice(s.Device);
        var modelDtypes = s.Dtype == "both" ? ["float32", "bfloat16"] : new[] { s.Dtype };
        if (s.SaveModel is not null)
        {
            Grpo.Files.OutputPaths.CheckFolder(s.SaveModel, "--save-model");
            using var random = new Qwen2ForCausalLM(s.Model is null ? Qwen2Config.Qwen25_05B : Qwen2Config.Load(s.Model), TorchOptions.ParseDtype(modelDtypes[0]), device);
            random.InitWeights(0);
            random.SavePretrained(s.SaveModel);
            AnsiConsole.MarkupLine($"wrote a random {modelDtypes[0]} model to {Markup.Escape(s.SaveModel)}");
            return 0;
        }
        AnsiConsole.MarkupLine($"device {s.Device}, threads {TorchSharp.torch.get_num_threads()}");
        void Log(string message) => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(message)}[/]");
        // A part left out (--model-part) is NaN, written as "NaN" (plain JSON has no NaN: the serializer would throw).
        static void Json(object result) => Console.Out.WriteLine(System.Text.Json.JsonSerializer.Serialize(result, JsonNaN));

        // The yardstick: every dtype a later part computes in (the tiny preset runs in its own dtype), measured by a
        // fresh process unless this one is only that (`--parts peak`), then again here.
        var tinyRun = CountdownRunConfig.Tiny with { Grpo = GrpoConfig.Tiny with { ModelNameOrPath = s.TinyModel ?? GrpoConfig.Tiny.ModelNameOrPath } };
        var tiny = tinyRun.Grpo;
        var peakDtypes = (parts.Contains("tiny") ? [tiny.Dtype] : Array.Empty<string>()).Concat(parts.Contains("model") ? modelDtypes : [])
            .Concat(parts.Contains("peak") ? s.PeakDtypeList : []).Distinct().ToList();
        if (CpuBf16.Warning(peakDtypes, s.Device) is { } slowBf16) AnsiConsole.MarkupLine($"[yellow]{Markup.Escape(slowBf16)}[/]");
        IReadOnlyList<PeakReading>? fresh = null;
        if (parts.Any(p => p != "peak"))
        {
            var command = FreshProcessPeak.Arguments(peakDtypes, s.Device, s.Threads);
            Log($"matmul peak in a fresh process: grpo {string.Join(' ', command)}");
            fresh = FreshProcessPeak.Measure(command, cancellationToken);
        }
        var here = MatmulPeak.Measure(peakDtypes, device, Log);
        var yardstick = (fresh ?? here).ToDictionary(r => r.Dtype);
        string Share(double gflops, string dtype) =>
            $"{gflops:F1} ({100 * gflops / yardstick[dtype].Gflops:F0}% of {yardstick[dtype].Gflops:F0})";
        var peakTable = new Table().AddColumns("dtype", fresh is null ? "matmul peak (GFLOP/s)" : "matmul peak, fresh process (GFLOP/s)", "threads");
        if (fresh is not null) peakTable.AddColumns("this process (GFLOP/s)", "threads");
        foreach (var r in here)
        {
            var y = yardstick[r.Dtype];
            Json(fresh is null ? new { MatmulPeak = r.Dtype, r.Gflops, r.Threads }
                : new { MatmulPeak = r.Dtype, y.Gflops, y.Threads, InProcessGflops = r.Gflops, InProcessThreads = r.Threads });
            string[] cells = [r.Dtype, y.Gflops.ToString("F0"), y.Threads.ToString(), .. fresh is null ? [] : new[] { r.Gflops.ToString("F0"), r.Threads.ToString() }];
            peakTable.AddRow(cells);
        }
        AnsiConsole.Write(peakTable);

        if (parts.Contains("tiny"))
        {
            Log($"tiny: {s.Steps} GRPO steps of the tiny preset ({tiny.PromptsPerStep} prompts x {tiny.NumGenerations}, <= {tiny.MaxCompletionLength} tokens, {tiny.Dtype}), after one untimed");
            var step = DefaultRunBench.GrpoSteps(tinyRun, s.Steps);
            Json(step);
            var data = CountdownData.Ensure(new PipelineConfig().DataRoot, CountdownDataSpec.ByName(tinyRun.Task.Distribution));
            var eval = new PipelineConfig { EvalProblems = s.EvalProblems, EvalSamples = s.EvalSamples }.EvalFor(data.TestFile);
            Log($"tiny: evaluation of {eval.NumProblems} problems, greedy + {eval.Samples} samples, <= {eval.MaxNewTokens} tokens, batches of {eval.BatchSize}");
            var ev = DefaultRunBench.Evaluation(tiny.ModelNameOrPath, eval);
            Json(ev);
            AnsiConsole.Write(new Table().AddColumns("tiny preset", "seconds", "tokens/s", $"model GFLOP/s (share of fresh-process {tiny.Dtype} peak)")
                .AddRow("GRPO step", step.StepSeconds.ToString("F2"), "", "")
                .AddRow("  generation", step.GenerationSeconds.ToString("F2"), step.GenerationTokensPerSecond.ToString("F0"), Share(step.GenerationGflops, tiny.Dtype))
                .AddRow("  reference", step.ReferenceSeconds.ToString("F2"), "", "")
                .AddRow("  update", step.UpdateSeconds.ToString("F2"), step.UpdateTokensPerSecond.ToString("F0"), Share(step.UpdateGflops, tiny.Dtype))
                .AddRow($"evaluation ({ev.Problems} problems, greedy + {ev.Samples})", ev.Seconds.ToString("F2"), ev.TokensPerSecond.ToString("F0"), Share(ev.Gflops, tiny.Dtype)));
        }

        if (parts.Contains("model"))
        {
            var config = s.Model is null ? Qwen2Config.Qwen25_05B : Qwen2Config.Load(s.Model);
            var o = new BenchOptions(s.Prompts, s.PromptLength, s.NewTokens, s.TrainBatch, s.TrainSeq, s.TrainIters,
                Generate: s.ModelPart != "train", Train: s.ModelPart != "generate", LogitsChunkSize: s.LogitsChunk, GradientCheckpointing: s.GradientCheckpointing);
            AnsiConsole.MarkupLine($"model: hidden {config.HiddenSize}, {config.NumHiddenLayers} layers, {config.NumAttentionHeads}/{config.NumKeyValueHeads} heads, " +
                $"intermediate {config.IntermediateSize}, vocab {config.VocabSize}, tied {config.TieWordEmbeddings}");
            var table = new Table().AddColumns("dtype", $"generate {o.Prompts}x{o.NewTokens} (s)", "generate tokens/s", "generate GFLOP/s (share of fresh-process peak)",
                $"fwd+bwd {o.TrainBatch}x{o.TrainSeqLength} (s/iter)", "fwd+bwd tokens/s", "fwd+bwd GFLOP/s (share of fresh-process peak)", "peak RSS (GiB, process so far)");
            foreach (var name in modelDtypes)
            {
                var r = ModelBench.Run(config, TorchOptions.ParseDtype(name), device, o, Log);
                table.AddRow(r.Dtype, r.GenerateSeconds.ToString("F1"), r.GenerateTokensPerSecond.ToString("F1"), Share(r.GenerateGflops, name),
                    r.TrainSecondsPerIteration.ToString("F2"), r.TrainTokensPerSecond.ToString("F1"), Share(r.TrainGflops, name), r.PeakRssGiB.ToString("F2"));
                Json(r);
            }
            AnsiConsole.Write(table);
        }
        return 0;
    }
}
