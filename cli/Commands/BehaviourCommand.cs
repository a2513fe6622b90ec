// `behaviour`: the behaviour metrics (docs/behaviour-metrics.md) of a run's eval files or given eval files, base first,
// recomputed from the stored completions (no generation).
using System.ComponentModel;
using Grpo.Countdown;
using Grpo.Evaluation;
using Grpo.Model;
using Grpo.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Grpo.Cli.Commands;

public sealed class BehaviourCommand : Command<BehaviourCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--run <DIR>"), Description("Run folder: reads <run>/eval/*.json (base model and every checkpoint).")]
        public string? Run { get; init; }

        [CommandOption("--eval-dir <NAME>"), Description("Eval folder inside the run (default eval; e.g. eval-full).")]
        public string EvalDir { get; init; } = RunFolder.DefaultEvalDir;

        [CommandOption("--input <FILE>"), Description("Eval .json file (repeatable) instead of --run.")]
        public string[] Input { get; init; } = [];

        [CommandOption("--markers <PATH>"), Description("reasoning_markers.json, or a model folder holding one (default: the run's base model, or the first file's model).")]
        public string? Markers { get; init; }

        public override ValidationResult Validate() =>
            (Run is null) == (Input.Length == 0)
                ? ValidationResult.Error("Give either --run DIR or one or more --input FILE.")
                : ValidationResult.Success();
    }

    // Bad input (a missing or malformed eval file) throws naming the file; CliErrors prints it as one line, exit 1.
    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken) => Show(settings);

    static int Show(Settings settings)
    {
        var run = settings.Run is null ? null : new RunFolder(settings.Run);
        var evals = run is not null ? BehaviourTable.RunEvals(run, settings.EvalDir) : settings.Input.Select(EvalResult.Load).ToList();
        if (evals.Count == 0) throw new InvalidDataException("No eval files to read.");
        // Markers and tokenizer of the model that wrote the texts: the run's base model (checkpoints share it).
        var modelDir = run is not null ? run.BaseModelDir() : evals[0].ModelDir;
        var markers = settings.Markers is { } m ? ReasoningMarkers.FromPath(m, "--markers")
            : run is not null ? RunCheckpoints.Markers(run) : RunCheckpoints.MarkersForModel(modelDir ?? "");
        Func<string, int>? tokens = null;
        if (modelDir is not null && File.Exists(Path.Combine(modelDir, "tokenizer.json")))
        {
            var tokenizer = QwenTokenizer.FromFolder(modelDir);
            tokens = t => tokenizer.Encode(t).Count;
        }
        var rows = BehaviourTable.Rows(evals, markers, tokens);

        // One table per decoding, a column per checkpoint (base first), so each trained value sits beside the base one.
        foreach (var group in rows.GroupBy(r => r.Decoding))
        {
            var columns = group.ToList();
            var table = new Table().Title($"Behaviour, {group.Key} (docs/behaviour-metrics.md)").AddColumn("metric");
            foreach (var c in columns) table.AddColumn(new TableColumn(Markup.Escape(RunFolder.StepOf(c.Checkpoint) is int step ? $"step {step}" : c.Checkpoint)).RightAligned());
            foreach (var measure in BehaviourTable.Measures) table.AddRow([measure.Name, .. columns.Select(c => measure.Show(c.Summary))]);
            AnsiConsole.Write(table);
        }
        var unit = rows.FirstOrDefault()?.Summary.LengthUnit ?? "characters";
        AnsiConsole.MarkupLine($"[grey]lengths in {unit}; markers: reject {Markup.Escape(string.Join(", ", markers.RejectMarkers.DefaultIfEmpty("-")))}, " +
            $"accept {Markup.Escape(string.Join(", ", markers.AcceptMarkers.DefaultIfEmpty("-")))}, {markers.Phrases.Count} phrases[/]");
        return 0;
    }
}
