// Finds what to evaluate in a run folder: the base model (from the run's config.json) and its complete checkpoints
// (RunFolder's rule), and the reasoning markers their completions are read with.
using Grpo.Countdown;
using Grpo.Training;

namespace Grpo.Evaluation;

/// <summary>Name is "base" or "checkpoint-N" (the eval file's name); Step is 0 for the base model.</summary>
public sealed record CheckpointRef(string Name, int Step, string ModelDir);

public static class RunCheckpoints
{
    /// <summary>The base model (when known) then every complete checkpoint, ordered by N.</summary>
    public static IReadOnlyList<CheckpointRef> Discover(RunFolder run, string? baseModelDir = null)
    {
        if (!Directory.Exists(run.Root)) throw new DirectoryNotFoundException($"Run folder not found: {run.Root}");
        var list = new List<CheckpointRef>();
        var baseDir = baseModelDir ?? run.BaseModelDir();
        if (baseDir is not null)
        {
            if (!Directory.Exists(baseDir)) throw new DirectoryNotFoundException($"Base model folder not found: {baseDir} " +
                "(from the run's config.json model_name_or_path, or given explicitly); pass the local folder with --base.");
            list.Add(new CheckpointRef("base", 0, baseDir));
        }
        list.AddRange(run.CompleteCheckpoints().Select(c => new CheckpointRef(c.Name, c.Step, c.Dir)));
        if (list.Count == 0)
            throw new BadInputException($"Nothing to evaluate in {run.Root}: no complete checkpoints/checkpoint-N folders and no base " +
                "model (config.json names none; pass the base model folder explicitly).");
        return list;
    }

    /// <summary>The reasoning markers of a run: its base model folder's reasoning_markers.json (checkpoints are written
    /// without one and write as their base does), else the defaults.</summary>
    public static ReasoningMarkers Markers(RunFolder run, string? baseModelDir = null)
    {
        var baseDir = baseModelDir ?? run.BaseModelDir();
        return baseDir is not null && Directory.Exists(baseDir) ? ReasoningMarkers.ForModel(baseDir) : ReasoningMarkers.Default;
    }

    /// <summary>A model folder's own reasoning_markers.json, else (a checkpoint of a run) the run's, else the defaults.</summary>
    public static ReasoningMarkers MarkersForModel(string modelDir)
    {
        if (File.Exists(Path.Combine(modelDir, ReasoningMarkers.FileName))) return ReasoningMarkers.ForModel(modelDir);
        return RunFolder.OfCheckpoint(modelDir) is { } run ? Markers(run) : ReasoningMarkers.Default;
    }
}
