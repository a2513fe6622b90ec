// Finds what to evaluate in a run folder: the base model (from the run's config.json) and checkpoints/checkpoint-N.
using System.Globalization;
using System.Text.RegularExpressions;
using Grpo.Countdown;
using Grpo.Training;

namespace Grpo.Evaluation;

/// <summary>Name is "base" or "checkpoint-N" (the eval file's name); Step is 0 for the base model.</summary>
public sealed record CheckpointRef(string Name, int Step, string ModelDir);

public static partial class RunCheckpoints
{
    [GeneratedRegex(@"^checkpoint-(\d+)$")]
    private static partial Regex CheckpointName();

    /// <summary>The base model (when known) then every complete checkpoint folder, ordered by N. A folder counts when
    /// it is named checkpoint-N and holds config.json (temp folders of an interrupted save do not).</summary>
    public static IReadOnlyList<CheckpointRef> Discover(string runDir, string? baseModelDir = null)
    {
        if (!Directory.Exists(runDir)) throw new DirectoryNotFoundException($"Run folder not found: {runDir}");
        var list = new List<CheckpointRef>();
        var baseDir = baseModelDir ?? BaseModelFromRunConfig(runDir);
        if (baseDir is not null)
        {
            if (!Directory.Exists(baseDir)) throw new DirectoryNotFoundException($"Base model folder not found: {baseDir} " +
                "(from the run's config.json model_name_or_path, or given explicitly); pass the local folder with --base.");
            list.Add(new CheckpointRef("base", 0, baseDir));
        }
        var checkpoints = Path.Combine(runDir, "checkpoints");
        if (Directory.Exists(checkpoints))
            list.AddRange(Directory.GetDirectories(checkpoints)
                .Select(d => (Dir: d, Match: CheckpointName().Match(Path.GetFileName(d))))
                .Where(x => x.Match.Success && File.Exists(Path.Combine(x.Dir, "config.json")))
                .Select(x => new CheckpointRef(Path.GetFileName(x.Dir), int.Parse(x.Match.Groups[1].Value, CultureInfo.InvariantCulture), x.Dir))
                .OrderBy(c => c.Step));
        if (list.Count == 0)
            throw new BadInputException($"Nothing to evaluate in {runDir}: no checkpoints/checkpoint-N folders and no base " +
                "model (config.json names none; pass the base model folder explicitly).");
        return list;
    }

    /// <summary>The run's GRPO config (runs/&lt;name&gt;/config.json, written by the trainer); null when absent.</summary>
    public static GrpoConfig? RunConfig(string runDir)
    {
        var path = Path.Combine(runDir, "config.json");
        return File.Exists(path) ? GrpoConfig.Load(path) : null;
    }

    /// <summary>The run's model_name_or_path, resolved against the working directory, then the repository root the
    /// run folder sits in (runs/&lt;name&gt; -> ../..), then the run folder; null when the run has no config.json.</summary>
    public static string? BaseModelFromRunConfig(string runDir)
    {
        var value = RunConfig(runDir)?.ModelNameOrPath;
        if (string.IsNullOrEmpty(value)) return null;
        if (Path.IsPathRooted(value)) return value;
        var candidates = new[] { Path.GetFullPath(value), Path.GetFullPath(Path.Combine(runDir, "..", "..", value)), Path.GetFullPath(Path.Combine(runDir, value)) };
        return candidates.FirstOrDefault(Directory.Exists) ?? value;
    }

    /// <summary>The reasoning markers of a run: its base model folder's reasoning_markers.json (checkpoints are written
    /// without one and write as their base does), else the defaults.</summary>
    public static ReasoningMarkers Markers(string runDir, string? baseModelDir = null)
    {
        var baseDir = baseModelDir ?? BaseModelFromRunConfig(runDir);
        return baseDir is not null && Directory.Exists(baseDir) ? ReasoningMarkers.ForModel(baseDir) : ReasoningMarkers.Default;
    }

    /// <summary>A model folder's own reasoning_markers.json, else (a checkpoint of a run) the run's, else the defaults.</summary>
    public static ReasoningMarkers MarkersForModel(string modelDir)
    {
        if (File.Exists(Path.Combine(modelDir, ReasoningMarkers.FileName))) return ReasoningMarkers.ForModel(modelDir);
        return RunFolderOf(modelDir) is { } run ? Markers(run) : ReasoningMarkers.Default;
    }

    /// <summary>The run folder a checkpoint folder belongs to (…/runs/X/checkpoints/checkpoint-N -> …/runs/X), else null.</summary>
    public static string? RunFolderOf(string checkpointDir)
    {
        var parent = Directory.GetParent(Path.GetFullPath(Path.TrimEndingDirectorySeparator(checkpointDir)));
        return parent?.Name == "checkpoints" && parent.Parent is not null && CheckpointName().IsMatch(Path.GetFileName(
            Path.TrimEndingDirectorySeparator(checkpointDir))) ? parent.Parent.FullName : null;
    }

    /// <summary>The run's eval files live in eval/ (what reports read); another <paramref name="evalDir"/> keeps a
    /// second test set's results (e.g. eval-full) beside them.</summary>
    public static string EvalPath(string runDir, string checkpointName, string evalDir = DefaultEvalDir) =>
        Path.Combine(runDir, evalDir, checkpointName + ".json");

    public const string DefaultEvalDir = "eval";
}
