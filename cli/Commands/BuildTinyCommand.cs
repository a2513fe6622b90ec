// `build-tiny`: builds data/models/countdown-tiny (cold-start SFT of a tiny Qwen2 on solver traces) and its card.
using System.ComponentModel;
using Grpo.Countdown;
using Grpo.Evaluation;
using Grpo.Torch;
using Grpo.Tiny;
using Grpo.Training;
using Grpo.Training.Sft;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Grpo.Cli.Commands;

public sealed class BuildTinyCommand : Command<BuildTinyCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--out <DIR>"), Description("Model folder to write.")]
        [DefaultValue("data/models/countdown-tiny")] public string Out { get; init; } = "data/models/countdown-tiny";

        [CommandOption("--data <DIR>"), Description("Data root; its easy/ and full/ test sets are held out (created if missing).")]
        [DefaultValue("data/countdown")] public string Data { get; init; } = "data/countdown";

        [CommandOption("--steps <N>"), Description("Cold-start steps (default: the recipe's).")]
        public int? Steps { get; init; }

        [CommandOption("--minutes <M>"), Description("Stop the cold start after M minutes (0 = no limit).")]
        public double? Minutes { get; init; }

        [CommandOption("--eval-problems <N>"), Description("Problems per test set for the card's numbers.")]
        [DefaultValue(500)] public int EvalProblems { get; init; }

        [CommandOption("--threads <N>"), Description("torch intra-op threads (default: libtorch's choice).")]
        public int? Threads { get; init; }

        [CommandOption("--batch-size <N>"), Description("Cold-start batch size (default: the recipe's).")]
        public int? BatchSize { get; init; }

        [CommandOption("--sloppy-rate <P>"), Description("Share of traces that answer with a failed attempt (experiments; default 0).")]
        public double? SloppyRate { get; init; }

        [CommandOption("--traces <STYLE>"), Description("Cold-start traces: search (several search strategies with backtracking) or attempts (0-2 random failed attempts).")]
        public string? Traces { get; init; }

        [CommandOption("--strategies <LIST>"), Description("Search strategies the traces mix, comma-separated: systematic, cyclic, nearest, random.")]
        public string? Strategies { get; init; }

        [CommandOption("--smoke"), Description("A seconds-long toy build (tests): same code, tiny data and model.")]
        public bool Smoke { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        Grpo.Files.OutputPaths.CheckFolder(settings.Out, "--out");
        Grpo.Files.OutputPaths.CheckFolder(settings.Data, "--data");
        if (settings.Threads is int threads) TorchThreads.Set(threads);
        GlibcMalloc.ForDevice(TorchSharp.torch.CPU);   // the tiny model is built on the CPU
        var spec = settings.Smoke ? TinyModelSpec.Smoke : TinyModelSpec.Default;
        spec = spec with
        {
            SloppyAnswerRate = settings.SloppyRate ?? spec.SloppyAnswerRate,
            Traces = settings.Traces ?? spec.Traces,
            SearchStrategies = settings.Strategies?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) ?? spec.SearchStrategies,
            Sft = spec.Sft with
            {
                MaxSteps = settings.Steps ?? spec.Sft.MaxSteps, MaxMinutes = settings.Minutes ?? spec.Sft.MaxMinutes,
                BatchSize = settings.BatchSize ?? spec.Sft.BatchSize,
            },
        };
        var easy = CountdownData.Ensure(settings.Data, CountdownDataSpec.Easy);
        var full = CountdownData.Ensure(settings.Data, CountdownDataSpec.Full);
        var heldOut = CountdownParquet.Read(easy.TestFile).Concat(CountdownParquet.Read(full.TestFile));

        var log = new Progress<string>(m => AnsiConsole.MarkupLineInterpolated($"[grey]{m}[/]"));
        var sft = new Progress<SftProgress>(p => AnsiConsole.MarkupLineInterpolated(
            $"step {p.Step}/{p.MaxSteps}  loss {p.Loss:F4}  lr {p.LearningRate:E2}  {p.TokensPerSecond:F0} tok/s  {p.ElapsedSeconds / 60:F1} min"));
        var build = TinyModelBuilder.Build(settings.Out, spec, heldOut, log, sft);

        var evals = new List<(string, EvalResult)>();
        foreach (var (name, file) in new[] { ("easy (default)", easy.TestFile), ("full (3-4 numbers of 1-99)", full.TestFile) })
        {
            var config = new EvalConfig(TestFile: file, NumProblems: settings.Smoke ? 8 : settings.EvalProblems, BatchSize: 256,
                MaxNewTokens: GrpoConfig.Tiny.MaxCompletionLength, Template: spec.Template, Samples: 8);
            var result = Evaluator.EvaluateModel(settings.Out, config, "base", 0);
            AnsiConsole.MarkupLineInterpolated($"{name}: greedy {result.Accuracy:P1}, sampled {result.Sampled!.MeanAccuracy:P1}, pass@8 {result.Sampled.PassAtK:P1}");
            evals.Add((name, result));
        }
        string command = "dotnet run --project cli -c Release -- " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1));
        Grpo.Files.AtomicFile.WriteAllText(Path.Combine(settings.Out, "README.md"),
            ModelCard.Render(spec, build, evals, command.TrimEnd(), TorchSharp.torch.get_num_threads()));
        AnsiConsole.MarkupLineInterpolated($"[green]wrote {settings.Out}[/] ({build.Parameters:N0} parameters, {build.Minutes:F1} min)");
        return 0;
    }
}
