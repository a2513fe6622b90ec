// `bench-step`: one GRPO step of a Countdown run (the tiny default unless --preset/--set say otherwise) split into
// generation, reference and update, with --levers comparing the update's levers one at a time, interleaved in one
// process on the same generation batch (StepBench), and --generation-levers doing the same for the generation's levers
// (GenerationBench), and --rollout-server comparing local rollouts with a server's (every step then includes the
// weight sync a server run does after each update). Prints medians and paired ratios to the first variant.
using System.ComponentModel;
using System.Globalization;
using Grpo.Bench;
using Grpo.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Grpo.Cli.Commands;

public sealed class BenchStepCommand : Command<BenchStepCommand.Settings>
{
    public sealed class Settings : GrpoSettings
    {
        [CommandOption("--repetitions <N>"), Description("Timed repetitions of every variant, after one warm-up round (default 3).")]
        public int Repetitions { get; init; } = 3;
        [CommandOption("--warmups <N>"), Description("Untimed rounds before them (default 1).")]
        public int Warmups { get; init; } = 1;
        [CommandOption("--levers"), Description("Compare the update's levers (chunked logits, sorted rows, shared prompt) one at a time against all off, and all on.")]
        public bool Levers { get; init; }
        [CommandOption("--save-gradients <FILE>"), Description("Write the trained parameters' gradients after the (last) step to FILE (safetensors); one variant only.")]
        public string? SaveGradients { get; init; }
        [CommandOption("--compare-gradients <FILE>"), Description("Compare the gradients after the (last) step with FILE from --save-gradients (max absolute difference); one variant only.")]
        public string? CompareGradients { get; init; }
        [CommandOption("--generation-levers"), Description("Instead of whole steps: the step's generation batch with the shared prefill and the dropping of finished rows off, one at a time, and on.")]
        public bool GenerationLevers { get; init; }
        [CommandOption("--rollout-server <URL>"), Description("Compare the step with rollouts from this server (use_vllm, e.g. `grpo serve` of the same model, its --adapters-root holding vllm_sync_dir) against the local generator, interleaved.")]
        public string? RolloutServer { get; init; }

        public override ValidationResult Validate() => Repetitions < 1 ? ValidationResult.Error($"--repetitions must be >= 1, got {Repetitions}")
            : Warmups < 0 ? ValidationResult.Error($"--warmups must be >= 0, got {Warmups}")
            : Levers && (SaveGradients ?? CompareGradients) is not null ? ValidationResult.Error("--save-gradients and --compare-gradients take one variant: leave out --levers")
            : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        var run = s.Apply(s.PresetRun()).Validated();
        var config = run.Grpo;
        if (s.GenerationLevers && s.Levers) throw new BadInputException("--levers and --generation-levers: give one of them");
        if (s.SaveGradients is not null) Grpo.Files.OutputPaths.CheckFile(s.SaveGradients, "--save-gradients");
        if (s.RolloutServer is not null && s.Levers) throw new BadInputException("--levers and --rollout-server: give one of them");
        var variants = s.Levers ? StepBench.Levers(config)
            : s.RolloutServer is { } url ? [new StepVariant("local rollouts", config),
                new StepVariant("server rollouts", (config with { UseVllm = true, VllmServerBaseUrl = url }).Validated("--rollout-server"))]
            : [new StepVariant("as configured", config)];
        AnsiConsole.MarkupLine($"GRPO step: {Markup.Escape(config.ModelNameOrPath)}, B={config.PromptsPerStep} x G={config.NumGenerations}, " +
            $"<= {config.MaxCompletionLength} tokens, beta {config.Beta:G3}, {config.Dtype}, threads {TorchSharp.torch.get_num_threads()}; " +
            $"{s.Repetitions} timed round(s) after {s.Warmups} warm-up round(s)");
        var task = s.SyntheticToken is not null ? s.SyntheticTaskFor(config) : StepBench.CountdownTask(run);
        if (s.GenerationLevers) return GenerationLevers(config, task, s);
        if (s.CompareGradients is not null) Grpo.Files.InputPaths.RequireRegularFile(s.CompareGradients, "--compare-gradients");
        GradientComparison? comparison = null;
        var timings = StepBench.Run(variants, task, s.Repetitions, s.Warmups, msg => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(msg)}[/]"),
            (_, trainer) =>
            {
                if (s.SaveGradients is not null) StepGradients.Save(trainer, s.SaveGradients);
                if (s.CompareGradients is not null) comparison = StepGradients.Compare(trainer, s.CompareGradients);
            });

        string F(double x) => x.ToString("F2", CultureInfo.InvariantCulture);
        var table = new Table().AddColumns("variant", "generation (s)", "reference (s)", "update (s)", "step (s)",
            $"update / {variants[0].Name}", $"step / {variants[0].Name}", MetricNames.Loss, MetricNames.GradNorm);
        foreach (var v in variants)
            table.AddRow(Markup.Escape(v.Name), F(StepBench.Median(timings, v.Name, t => t.Generation)),
                F(StepBench.Median(timings, v.Name, t => t.Reference)), F(StepBench.Median(timings, v.Name, t => t.Update)),
                F(StepBench.Median(timings, v.Name, t => t.Step)), F(StepBench.MedianRatio(timings, v.Name, t => t.Update)),
                F(StepBench.MedianRatio(timings, v.Name, t => t.Step)),
                StepBench.Median(timings, v.Name, t => t.Loss).ToString("G6", CultureInfo.InvariantCulture),
                StepBench.Median(timings, v.Name, t => t.GradNorm).ToString("G6", CultureInfo.InvariantCulture));
        AnsiConsole.Write(table);
        var parts = timings.SelectMany(t => t.PeakRssGiB.Keys).Distinct().ToList();
        if (parts.Count > 0)
        {
            var memory = new Table().AddColumns(["variant", .. parts.Select(p => $"peak RSS, {p} (GiB)")]);
            foreach (var v in variants)
                memory.AddRow([Markup.Escape(v.Name), .. parts.Select(p => F(timings.Where(t => t.Variant == v.Name).Max(t => t.PeakRssGiB.GetValueOrDefault(p))))]);
            AnsiConsole.Write(memory);
            AnsiConsole.MarkupLine($"peak RSS of this process's steps: {timings.Max(t => t.PeakRssGiB.Values.Max()):F2} GiB (largest over the parts; each part's peak is measured from the end of the one before)");
        }
        else AnsiConsole.MarkupLine($"peak RSS of this process: {ModelBench.PeakRssGiB():F2} GiB");
        if (comparison is { } c)
            AnsiConsole.MarkupLine($"gradients vs {Markup.Escape(s.CompareGradients!)}: max |difference| {c.MaxAbsDifference:G3}, " +
                $"max |gradient| {c.MaxAbs:G3}, |difference| / |gradients| {c.RelativeNorm:G3}");
        foreach (var t in timings) Console.Out.WriteLine(System.Text.Json.JsonSerializer.Serialize(t));
        return 0;
    }

    static int GenerationLevers(GrpoConfig config, GrpoTask task, Settings s)
    {
        var timings = GenerationBench.Run(config, task, s.Repetitions, s.Warmups, msg => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(msg)}[/]"));
        var first = GenerationBench.Levers[0].Name;
        var table = new Table().AddColumns("generation variant", "seconds", $"seconds / {first}", "completion tokens");
        foreach (var v in GenerationBench.Levers)
        {
            var (seconds, ratio) = GenerationBench.Median(timings, v.Name);
            table.AddRow(Markup.Escape(v.Name), seconds.ToString("F2", CultureInfo.InvariantCulture),
                ratio.ToString("F2", CultureInfo.InvariantCulture), timings.First(t => t.Variant == v.Name).Tokens.ToString(CultureInfo.InvariantCulture));
        }
        AnsiConsole.Write(table);
        foreach (var t in timings) Console.Out.WriteLine(System.Text.Json.JsonSerializer.Serialize(t));
        return 0;
    }
}
