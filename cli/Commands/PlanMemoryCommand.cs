// `plan-memory`: the peak memory of a GRPO step by part (MemoryPlan) for a model's config.json shape and the GRPO
// settings of `train` (preset, --config, --set, flags), then the same plan with and without chunked logits and gradient
// checkpointing, and the largest micro-batch that fits each GPU size.
using System.ComponentModel;
using System.Globalization;
using Grpo.Model;
using Grpo.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Grpo.Cli.Commands;

public sealed class PlanMemoryCommand : Command<PlanMemoryCommand.Settings>
{
    public sealed class Settings : GrpoSettings
    {
        [CommandOption("--model-config <FILE>"), Description("The model's config.json (or its folder), e.g. data/model-shapes/qwen2.5-7b.json; default: model_name_or_path's.")]
        public string? ModelConfig { get; init; }
        [CommandOption("--prompt-length <N>"), Description("Tokens of the longest prompt (default: max_prompt_length).")]
        public int? PromptLength { get; init; }
        [CommandOption("--gpu-memory <GIB>"), Description("Comma-separated device sizes in GB (10^9 bytes) for the largest micro-batch that fits (default 24,40,80).")]
        public string GpuMemory { get; init; } = "24,40,80";
        [CommandOption("--runtime-mib <MIB>"), Description("What the process holds before any model (default: measured .NET + libtorch on cpu, a 1 GiB allowance on cuda).")]
        public double? RuntimeMib { get; init; }
        public override ValidationResult Validate() => PromptLength is < 1 ? ValidationResult.Error($"--prompt-length must be >= 1, got {PromptLength}")
            : RuntimeMib is < 0 || RuntimeMib is double r && !double.IsFinite(r) ? ValidationResult.Error($"--runtime-mib must be a number >= 0, got {RuntimeMib}")
            : ValidationResult.Success();
    }

    const double GiB = 1 << 30;

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        // Validated as `train` would run it, but the device is only a name here: a CPU machine plans a CUDA run.
        var run = s.Apply(s.PresetRun()).Validated();
        var config = run.Grpo;
        var model = LoadShape(s.ModelConfig ?? config.ModelNameOrPath, s.ModelConfig is null ? "model_name_or_path" : "--model-config");
        var gpus = ParseSizes(s.GpuMemory);
        var options = new MemoryPlanOptions
        {
            // A --synthetic-token run holds no tokenizer and few prompts; a Countdown run its tokenized problems.
            PromptLength = s.PromptLength, TokenizedPrompts = s.SyntheticToken is null ? run.Task.NumTrainProblems : null,
            RuntimeBytes = s.RuntimeMib is double mib ? (long)(mib * (1 << 20)) : null,
        };
        var plan = MemoryPlan.For(model, config, options);

        AnsiConsole.MarkupLine(Markup.Escape(
            $"model: hidden {model.HiddenSize}, {model.NumHiddenLayers} layers, {model.NumAttentionHeads}/{model.NumKeyValueHeads} heads, " +
            $"intermediate {model.IntermediateSize}, vocab {model.VocabSize}, tied {model.TieWordEmbeddings}; {MemoryPlan.ParameterCount(model):N0} parameters"));
        AnsiConsole.MarkupLine(Markup.Escape(
            $"step: {config.Device}, {config.Dtype}, {(config.UsePeft ? $"LoRA r={config.LoraR}" : "full fine-tuning")}, beta {config.Beta:G3}, " +
            $"B={config.PromptsPerStep} x G={config.NumGenerations} generated at once, micro-batch {config.PerDeviceTrainBatchSize}, " +
            $"prompt {s.PromptLength ?? config.MaxPromptLength} + completion {config.MaxCompletionLength} tokens, " +
            $"logits_chunk_size {config.LogitsChunkSize}, gradient_checkpointing {config.GradientCheckpointing.ToString().ToLowerInvariant()}"));

        var table = new Table().AddColumns("phase", "part", "GiB", "what");
        table.Columns[2].RightAligned();
        foreach (var p in plan.Parts.Where(p => p.Phase == MemoryPlan.Persistent))
            table.AddRow("every phase", Markup.Escape(p.Name), F(p.Bytes / GiB), Markup.Escape(p.Detail));
        foreach (var phase in plan.Phases)
        {
            foreach (var p in plan.Parts.Where(p => p.Phase == phase.Name))
                table.AddRow(Markup.Escape(phase.Name), Markup.Escape(p.Name), F(p.Bytes / GiB), Markup.Escape(p.Detail));
            table.AddRow($"[bold]{Markup.Escape(phase.Name)}[/]", "[bold]total[/]", $"[bold]{F(phase.Bytes / GiB)}[/]", "");
        }
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"[bold]peak: {F(plan.Peak.Bytes / GiB)} GiB[/] ({Markup.Escape(plan.Peak.Name)})");

        var levers = new Table().AddColumns(["logits_chunk_size", "gradient_checkpointing", "peak (GiB)", "at",
            .. gpus.Select(g => $"largest micro-batch, {g.ToString(CultureInfo.InvariantCulture)} GB")]);
        int chunk = config.LogitsChunkSize > 0 ? config.LogitsChunkSize : ChunkedLogProbs.DefaultChunkSize;
        foreach (var (logits, checkpointing) in new[] { (chunk, true), (chunk, false), (0, true), (0, false) })
        {
            var variant = config with { LogitsChunkSize = logits, GradientCheckpointing = checkpointing };
            var peak = MemoryPlan.For(model, variant, options).Peak;
            levers.AddRow([logits.ToString(CultureInfo.InvariantCulture), checkpointing ? "on" : "off", F(peak.Bytes / GiB), Markup.Escape(peak.Name),
                .. gpus.Select(g => MemoryPlan.LargestMicroBatch(model, variant, (long)(g * 1e9), options) is int mb ? mb.ToString(CultureInfo.InvariantCulture) : "none")]);
        }
        AnsiConsole.Write(levers);
        AnsiConsole.MarkupLine("[grey]largest micro-batch: per_device_train_batch_size whose peak stays within 90% of the device " +
            $"(gradient_accumulation_steps {config.GradientAccumulationSteps}, so {config.GradientAccumulationSteps} x that many completions are generated at once)[/]");
        return 0;
    }

    static string F(double x) => x.ToString("F2", CultureInfo.InvariantCulture);

    /// <summary>A config.json file, or a folder holding one.</summary>
    static Qwen2Config LoadShape(string path, string flag)
    {
        try
        {
            return Directory.Exists(path) ? Qwen2Config.Load(path) : File.Exists(path) ? Qwen2Config.LoadFile(path)
                : throw new BadInputException($"{flag}: no file or folder {path}");
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException) { throw new BadInputException($"{flag}: {e.Message}", e); }
    }

    static double[] ParseSizes(string text)
    {
        var sizes = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(x => double.TryParse(x, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 && double.IsFinite(v) ? v
                : throw new BadInputException($"--gpu-memory must list sizes in GB > 0, got '{x}'")).ToArray();
        return sizes.Length > 0 ? sizes : throw new BadInputException("--gpu-memory is empty");
    }
}
