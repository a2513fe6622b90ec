// `report`: writes runs/<name>/report.html (self-contained) from a run folder's eval, metrics, samples and aha files;
// further --run folders are overlaid on the first run's accuracy and behaviour per checkpoint.
using System.ComponentModel;
using Grpo.Files;
using Grpo.Reports;
using Grpo.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Grpo.Cli.Commands;

public sealed class ReportCommand : Command<ReportCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--run <DIR>"), Description("Run folder (e.g. runs/countdown-tiny); report.html is written there. Repeat it to " +
            "compare runs: the others' accuracy and behaviour per checkpoint are overlaid on the first's, each named with the settings that differ.")]
        public string[] Run { get; init; } = [];

        [CommandOption("--samples <N>"), Description("Sample completions shown in the table (default 12).")]
        public int Samples { get; init; } = 12;

        public override ValidationResult Validate() =>
            Run.Length == 0 || Run.Any(string.IsNullOrWhiteSpace) ? ValidationResult.Error("Give --run DIR.")
            : Samples < 0 ? ValidationResult.Error($"--samples must be >= 0, got {Samples}")
            : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        foreach (var dir in settings.Run) InputPaths.RequireFolder(dir, "--run");
        var runs = settings.Run.Select(dir => new RunFolder(dir)).ToList();
        OutputPaths.CheckFile(runs[0].ReportPath, "--run");
        var path = RunReport.Write(runs[0], settings.Samples, runs[1..]);
        foreach (var sentence in RunSummary.ForRun(runs[0])?.Sentences ?? []) AnsiConsole.WriteLine(sentence);
        if (runs.Count > 1)
            foreach (var run in RunComparison.Of(runs)) AnsiConsole.WriteLine($"compared: {run.Label}");
        AnsiConsole.MarkupLine($"report: [green]{Markup.Escape(path)}[/] ({new FileInfo(path).Length / 1024} KiB)");
        return 0;
    }
}
