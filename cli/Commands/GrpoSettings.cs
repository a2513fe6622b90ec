// The GRPO settings `train`, `pipeline`, `bench-step` and `plan-memory` share, defined once: a preset, --config FILE,
// --set FIELD=VALUE and the common flags, applied in one order (basis, then --config, then each --set, then the named
// flags), and the task (Countdown, or --synthetic-token). RunSettings adds the run's name for the commands that write a run.
using System.ComponentModel;
using System.Text.Json.Nodes;
using Grpo.Files;
using Grpo.Pipeline;
using Grpo.Training;
using Spectre.Console.Cli;

namespace Grpo.Cli.Commands;

public abstract class GrpoSettings : CommandSettings
{
    [CommandOption("--preset <NAME>"), Description("tiny (default: the embedded model on CPU, easy problems) or qwen2.5-7b (the reference tutorial's setup: bf16, LoRA).")]
    [DefaultValue("tiny")] public string Preset { get; init; } = "tiny";
    [CommandOption("--config <FILE>"), Description("JSON file of GRPO config fields (snake_case, as in a run's config.json) over the preset.")]
    public string? ConfigFile { get; init; }
    [CommandOption("--set <FIELD=VALUE>"), Description("Any config field, repeatable: --set loss_type=dr_grpo --set num_generations=4 (VALUE is JSON or a plain string).")]
    public string[] Set { get; init; } = [];
    [CommandOption("--model <DIR>"), Description("model_name_or_path: a local Hugging Face Qwen2/Qwen2.5 folder.")]
    public string? Model { get; init; }
    [CommandOption("--device <DEVICE>"), Description("cpu | cuda | cuda:N.")]
    public string? Device { get; init; }
    [CommandOption("--dtype <DTYPE>"), Description("float32 | bfloat16.")]
    public string? Dtype { get; init; }
    [CommandOption("--train-file <FILE>"), Description("Parquet of Countdown training problems (train: generated from the seed; pipeline: data/countdown/<distribution>/train.parquet).")]
    public string? TrainFile { get; init; }
    [CommandOption("--max-steps <N>"), Description("max_steps: GRPO optimizer steps (tiny preset: 200).")]
    public int? MaxSteps { get; init; }
    [CommandOption("--save-steps <N>"), Description("save_steps: a checkpoint every N steps (tiny preset: 50; the pipeline evaluates each).")]
    public int? SaveSteps { get; init; }
    [CommandOption("--learning-rate <LR>"), Description("learning_rate: AdamW peak learning rate (warmup, then cosine; tiny preset 1e-4, better than 2e-4 on two seeds in docs/benchmarks.md).")]
    public double? LearningRate { get; init; }
    [CommandOption("--num-generations <G>"), Description("num_generations: completions sampled per prompt (the group).")]
    public int? NumGenerations { get; init; }
    [CommandOption("--batch-size <N>"), Description("per_device_train_batch_size: completions per micro-batch (TRL semantics).")]
    public int? BatchSize { get; init; }
    [CommandOption("--grad-accum <N>"), Description("gradient_accumulation_steps; prompts per step = batch-size * grad-accum / num-generations.")]
    public int? GradAccum { get; init; }
    [CommandOption("--max-completion-length <N>"), Description("max_completion_length: tokens generated per completion at most.")]
    public int? MaxCompletionLength { get; init; }
    [CommandOption("--beta <B>"), Description("beta: KL weight against the base model (0: no reference model; tiny preset 0.04, better than 0 on every measure in docs/benchmarks.md).")]
    public double? Beta { get; init; }
    [CommandOption("--seed <S>"), Description("seed: data order, sampling, LoRA initialisation and (pipeline) evaluation (default 42).")]
    public int? Seed { get; init; }
    [CommandOption("--lora <BOOL>"), Description("use_peft: true or false.")]
    public bool? Lora { get; init; }
    [CommandOption("--synthetic-token <ID>"), Description("Instead of Countdown: random id prompts, reward = share of token ID, or of the ids FIRST-LAST (for models without a tokenizer, e.g. benchmarks; not for pipeline).")]
    public string? SyntheticToken { get; init; }

    /// <summary>The synthetic task of --synthetic-token for the config's model.</summary>
    public GrpoTask SyntheticTaskFor(GrpoConfig config) =>
        SyntheticTask.ForModel(config.ModelNameOrPath, SyntheticToken!, config.Seed, "--synthetic-token");

    /// <summary><paramref name="basis"/> (a preset or a run's saved config) with --config, then each --set, then the
    /// named flags over it; not yet validated (the caller sets the run folder, then validates once). A --config file's
    /// output_dir gives way to the run folder the command chooses; --set output_dir is refused, as it would too.</summary>
    public CountdownRunConfig Apply(CountdownRunConfig basis)
    {
        var config = basis;
        if (ConfigFile is not null)
        {
            InputPaths.RequireRegularFile(ConfigFile, "--config");
            config = CountdownRunConfig.Overlay(config, File.ReadAllText(ConfigFile), ConfigFile, validate: false);
        }
        foreach (var assignment in Set)
        {
            int eq = assignment.IndexOf('=');
            if (eq <= 0) throw new BadInputException($"--set expects FIELD=VALUE, got '{assignment}'");
            var field = assignment[..eq].Trim();
            if (field == "output_dir")
                throw new BadInputException("--set output_dir: the run folder is chosen by --name (train also --run-dir), not by a config field");
            var text = assignment[(eq + 1)..];
            JsonNode? value;
            try { value = JsonNode.Parse(text); }
            catch (System.Text.Json.JsonException) { value = JsonValue.Create(text); }   // a plain string
            config = CountdownRunConfig.Overlay(config, new JsonObject { [field] = value }, $"--set {field}", validate: false);
        }
        return config with { Grpo = ApplyFlags(config.Grpo), Task = config.Task with { TrainFile = TrainFile ?? config.Task.TrainFile } };
    }

    GrpoConfig ApplyFlags(GrpoConfig config) =>
        config with
        {
            ModelNameOrPath = Model ?? config.ModelNameOrPath,
            Device = Device ?? config.Device,
            Dtype = Dtype ?? config.Dtype,
            MaxSteps = MaxSteps ?? config.MaxSteps,
            SaveSteps = SaveSteps ?? config.SaveSteps,
            LearningRate = LearningRate ?? config.LearningRate,
            NumGenerations = NumGenerations ?? config.NumGenerations,
            PerDeviceTrainBatchSize = BatchSize ?? config.PerDeviceTrainBatchSize,
            GradientAccumulationSteps = GradAccum ?? config.GradientAccumulationSteps,
            MaxCompletionLength = MaxCompletionLength ?? config.MaxCompletionLength,
            Beta = Beta ?? config.Beta,
            Seed = Seed ?? config.Seed,
            UsePeft = Lora ?? config.UsePeft,
        };
}

/// <summary>The GRPO settings plus the name of the run folder, for the commands that write a run.</summary>
public abstract class RunSettings : GrpoSettings
{
    [CommandOption("--name <NAME>"), Description("Run name: the run folder is runs/<NAME> (default: train <preset>-<time>, pipeline <preset>).")]
    public string? Name { get; init; }
}
