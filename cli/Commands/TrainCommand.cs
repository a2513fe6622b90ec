// `train`: GRPO from a preset (tiny | qwen2.5-7b), a JSON config file and flags, into runs/<name>/; --resume continues
// from the run's last complete checkpoint. Progress bar per optimizer step; every computation lives in Grpo.Training.
using System.ComponentModel;
using System.Globalization;
using System.Text.Json.Nodes;
using Grpo.Files;
using Grpo.Model;
using Grpo.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Grpo.Cli.Commands;

public sealed class TrainCommand : Command<TrainCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--preset <NAME>"), Description("tiny (default: embedded CPU model, easy problems) or qwen2.5-7b (reference tutorial: bf16, LoRA).")]
        public string Preset { get; init; } = "tiny";
        [CommandOption("--config <FILE>"), Description("JSON file of GRPO config fields (snake_case, as in a run's config.json) over the preset.")]
        public string? ConfigFile { get; init; }
        [CommandOption("--name <NAME>"), Description("Run name: the run folder is runs/<NAME> (default <preset>-<time>).")]
        public string? Name { get; init; }
        [CommandOption("--run-dir <DIR>"), Description("Run folder (overrides --name).")]
        public string? RunDir { get; init; }
        [CommandOption("--resume"), Description("Continue the run in the run folder from its last complete checkpoint (its config.json is the basis).")]
        public bool Resume { get; init; }
        [CommandOption("--model <DIR>"), Description("model_name_or_path: a Hugging Face Qwen2 folder.")]
        public string? Model { get; init; }
        [CommandOption("--device <DEVICE>"), Description("cpu or cuda.")]
        public string? Device { get; init; }
        [CommandOption("--dtype <DTYPE>"), Description("float32 or bfloat16.")]
        public string? Dtype { get; init; }
        [CommandOption("--train-file <FILE>"), Description("Parquet of Countdown problems (default: generated from the seed).")]
        public string? TrainFile { get; init; }
        [CommandOption("--max-steps <N>"), Description("max_steps: optimizer steps.")] public int? MaxSteps { get; init; }
        [CommandOption("--save-steps <N>"), Description("save_steps: a checkpoint every N steps.")] public int? SaveSteps { get; init; }
        [CommandOption("--learning-rate <LR>"), Description("learning_rate: AdamW peak learning rate (warmup, then cosine).")] public double? LearningRate { get; init; }
        [CommandOption("--num-generations <G>"), Description("num_generations: completions sampled per prompt (the group).")] public int? NumGenerations { get; init; }
        [CommandOption("--batch-size <N>"), Description("per_device_train_batch_size: completions per micro-batch (TRL semantics).")]
        public int? BatchSize { get; init; }
        [CommandOption("--grad-accum <N>"), Description("gradient_accumulation_steps; prompts per step = batch-size * grad-accum / num-generations.")]
        public int? GradAccum { get; init; }
        [CommandOption("--max-completion-length <N>"), Description("max_completion_length: tokens generated per completion at most.")] public int? MaxCompletionLength { get; init; }
        [CommandOption("--beta <B>"), Description("KL weight (0: no reference model).")]
        public double? Beta { get; init; }
        [CommandOption("--seed <S>"), Description("seed: data order, sampling and LoRA initialisation.")] public int? Seed { get; init; }
        [CommandOption("--lora <BOOL>"), Description("use_peft: true or false.")]
        public bool? Lora { get; init; }
        [CommandOption("--set <FIELD=VALUE>"), Description("Any config field, repeatable: --set loss_type=dr_grpo --set lora_r=8 (VALUE is JSON or a plain string).")]
        public string[] Set { get; init; } = [];
        [CommandOption("--synthetic-token <ID>"), Description("Instead of Countdown: random id prompts, reward = share of token ID (for models without a tokenizer, e.g. benchmarks).")]
        public int? SyntheticToken { get; init; }
        [CommandOption("--quiet"), Description("No progress bar: one log line per step (for logs and benchmarks).")]
        public bool Quiet { get; init; }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        var config = BuildConfig(s);
        var run = new RunFolder(config.OutputDir);
        AnsiConsole.MarkupLine($"[bold]GRPO[/] {Markup.Escape(config.ModelNameOrPath)} -> [blue]{Markup.Escape(run.Root)}[/]" +
            $" | {config.MaxSteps} steps, B={config.PromptsPerStep} x G={config.NumGenerations}, lr {config.LearningRate:G3}, beta {config.Beta:G3}" +
            $"{(config.UsePeft ? $", LoRA r={config.LoraR}" : "")}, {config.Device}/{config.Dtype}");

        IReadOnlyList<TrainingPrompt>? prompts = null;
        IReadOnlyList<RewardFunction>? rewards = null;
        TokenSpec? tokens = null;
        if (s.SyntheticToken is int token)
        {
            var mc = Qwen2Config.Load(config.ModelNameOrPath);
            if (token < 0 || token >= mc.VocabSize)
                throw new BadInputException($"--synthetic-token {token} is outside the model's vocabulary [0, {mc.VocabSize})");
            var eos = mc.EosTokenId.Count > 0 ? mc.EosTokenId : [mc.VocabSize - 1];
            int limit = Math.Min(mc.VocabSize, eos.Min());
            prompts = SyntheticTask.Prompts(4096, limit, config.Seed);
            rewards = [SyntheticTask.ChosenTokenShare(token, eos.ToList())];
            tokens = TokenSpec.Raw(eos, mc.PadTokenId ?? eos[0]);
        }

        var start = RunStart.Inspect(config, s.Resume);   // before Create, which drops steps logged after the checkpoint
        using var trainer = GrpoRun.Create(config, s.Resume, prompts, rewards, tokens,
            warn: w => AnsiConsole.MarkupLine($"[yellow]warning:[/] {Markup.Escape(w)}"));
        AnsiConsole.MarkupLine(Markup.Escape(start.Describe()));
        var started = DateTime.UtcNow;
        int firstStep = trainer.GlobalStep;
        GrpoProgress? last = null;
        using var ctrlC = CtrlC.Listen(cancellationToken);
        try
        {
            if (s.Quiet)
                trainer.Train(new SyncProgress<GrpoProgress>(p =>
                {
                    last = p;
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"step {p.Step}/{p.MaxSteps} reward {p["reward"]:F3} len {p["completions/mean_length"]:F1} step_time {p["step_time"]:F2}s rss {p["process_memory_mb"]:F0}MB{(p.CheckpointSaved is null ? "" : " saved " + p.CheckpointSaved)}"));
                }), ctrlC.Token);
            else
                AnsiConsole.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                    .Start(ctx =>
                    {
                        // The bar counts this session's steps: a resumed run's earlier steps would read as done in
                        // no time and make the time-left estimate far too short.
                        var task = ctx.AddTask("GRPO", maxValue: config.MaxSteps - firstStep);
                        trainer.Train(new SyncProgress<GrpoProgress>(p =>
                        {
                            last = p;
                            task.MoveTo(p.Step - firstStep);
                            task.Description = string.Create(CultureInfo.InvariantCulture,
                                $"step {p.Step}/{p.MaxSteps} reward {p["reward"]:F2} len {p["completions/mean_length"]:F0} {p["step_time"]:F1}s/step");
                            if (p.CheckpointSaved is not null)
                                AnsiConsole.MarkupLine($"[green]saved[/] {Markup.Escape(p.CheckpointSaved)}");
                        }), ctrlC.Token);
                    });
        }
        catch (OperationCanceledException)
        {
            AnsiConsole.MarkupLine($"[yellow]Stopped at step {trainer.GlobalStep}.[/] Continue with: grpo train --run-dir {Markup.Escape(run.Root)} --resume");
            AnsiConsole.MarkupLine($"  (that is: {Markup.Escape(RunStart.Inspect(config, resume: true).Describe())})");
            return 130;
        }

        var table = new Table().AddColumns("run", "steps", "reward (last step)", "checkpoints", "time");
        var checkpoints = string.Join(", ", run.CompleteCheckpoints().Select(c => c.Name));
        table.AddRow(Markup.Escape(run.Root), $"{firstStep} -> {trainer.GlobalStep}",
            last is null ? "-" : last["reward"].ToString("F3", CultureInfo.InvariantCulture), Markup.Escape(checkpoints),
            $"{(DateTime.UtcNow - started).TotalMinutes:F1} min");
        AnsiConsole.Write(table);
        return 0;
    }

    /// <summary>Preset (or the run's own config.json on --resume), then --config, then --set, then the named flags;
    /// validated once at the end, naming the snake_case field.</summary>
    static GrpoConfig BuildConfig(Settings s)
    {
        if (s.Name is not null && s.RunDir is null) InputPaths.PlainName(s.Name, "--name");
        string runDir = s.RunDir ?? Path.Combine("runs", s.Name ?? $"{s.Preset.ToLowerInvariant()}-{DateTime.Now:yyyyMMdd-HHmmss}");
        if (string.IsNullOrWhiteSpace(runDir)) throw new BadInputException("--run-dir is empty");
        var savedConfig = new RunFolder(runDir).ConfigPath;
        GrpoConfig config;
        if (s.Resume)
        {
            // A resume continues the run as it was configured: without its config.json the settings would be a guess.
            if (!Directory.Exists(runDir))
                throw new BadInputException($"--resume: no run folder {runDir} (give the --name or --run-dir of an existing run)");
            if (!File.Exists(savedConfig))
                throw new BadInputException($"--resume: {savedConfig} not found; a run cannot be resumed without the config it was started with");
            config = GrpoConfig.Overlay(new GrpoConfig(), File.ReadAllText(savedConfig), savedConfig, validate: false);
        }
        else config = GrpoConfig.ByName(s.Preset);
        if (s.ConfigFile is not null)
        {
            InputPaths.RequireRegularFile(s.ConfigFile, "--config");
            config = GrpoConfig.Overlay(config, File.ReadAllText(s.ConfigFile), s.ConfigFile, validate: false);
        }
        foreach (var assignment in s.Set)
        {
            int eq = assignment.IndexOf('=');
            if (eq <= 0) throw new BadInputException($"--set expects FIELD=VALUE, got '{assignment}'");
            var field = assignment[..eq].Trim();
            var text = assignment[(eq + 1)..];
            JsonNode? value;
            try { value = JsonNode.Parse(text); }
            catch (System.Text.Json.JsonException) { value = JsonValue.Create(text); }   // a plain string
            config = GrpoConfig.Overlay(config, new JsonObject { [field] = value }.ToJsonString(), $"--set {field}", validate: false);
        }
        config = config with
        {
            OutputDir = runDir,
            ModelNameOrPath = s.Model ?? config.ModelNameOrPath,
            Device = s.Device ?? config.Device,
            Dtype = s.Dtype ?? config.Dtype,
            TrainFile = s.TrainFile ?? config.TrainFile,
            MaxSteps = s.MaxSteps ?? config.MaxSteps,
            SaveSteps = s.SaveSteps ?? config.SaveSteps,
            LearningRate = s.LearningRate ?? config.LearningRate,
            NumGenerations = s.NumGenerations ?? config.NumGenerations,
            PerDeviceTrainBatchSize = s.BatchSize ?? config.PerDeviceTrainBatchSize,
            GradientAccumulationSteps = s.GradAccum ?? config.GradientAccumulationSteps,
            MaxCompletionLength = s.MaxCompletionLength ?? config.MaxCompletionLength,
            Beta = s.Beta ?? config.Beta,
            Seed = s.Seed ?? config.Seed,
            UsePeft = s.Lora ?? config.UsePeft,
        };
        return config.Validated();
    }

    /// <summary>IProgress that reports on the training thread (System.Progress posts to the thread pool).</summary>
    sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
