// The one map of a run folder runs/<name>/ (layout in README.md): the name of every file and folder a run holds,
// how checkpoint-N names parse, and what counts as a complete checkpoint. Whoever reads or writes a run asks here.
using System.Globalization;
using System.Text.RegularExpressions;
using Grpo.Files;

namespace Grpo.Training;

/// <summary>checkpoints/checkpoint-N of a run.</summary>
public sealed record Checkpoint(string Dir, int Step)
{
    public string Name => RunFolder.CheckpointName(Step);
}

public sealed partial record RunFolder(string Root)
{
    public const string DefaultEvalDir = "eval";
    public const string AhaFileName = "aha.jsonl", AhaCountsFileName = "aha_counts.json";
    const string CheckpointPrefix = "checkpoint-";
    // The run's own folders; an eval folder may take none of these names.
    const string CheckpointsFolder = "checkpoints", LogsFolder = "logs", SamplesFolder = "completion_samples", ChartsFolder = "charts",
        RolloutWeightsFolder = "rollout_weights";

    /// <summary>runs/&lt;name&gt; in the working folder; the name must be a plain folder name (<paramref name="source"/>
    /// names where it came from, e.g. --name).</summary>
    public static RunFolder Named(string name, string source) => new(Path.Combine("runs", InputPaths.PlainName(name, source)));

    public string ConfigPath => Path.Combine(Root, "config.json");
    public string MetricsPath => Path.Combine(Root, "metrics.jsonl");
    public string LogPath => Path.Combine(Root, LogsFolder, "train.log");
    public string SamplesDir => Path.Combine(Root, SamplesFolder);
    public string CompletionSamplesPath => Path.Combine(SamplesDir, "completion_samples.txt");
    public string SuccessSamplesPath => Path.Combine(SamplesDir, "success_completion_samples.txt");
    public string CheckpointsDir => Path.Combine(Root, CheckpointsFolder);
    public string AhaPath => Path.Combine(Root, AhaFileName);
    public string AhaCountsPath => Path.Combine(Root, AhaCountsFileName);
    public string ReportPath => Path.Combine(Root, "report.html");
    /// <summary>run.lock: held (RunLock) by the process training the run; absent otherwise.</summary>
    public string LockPath => Path.Combine(Root, RunLock.FileName);
    /// <summary>rollout_weights/step-N: the policy written for rollout servers to load (use_vllm; the latest step only).</summary>
    public string RolloutWeightsDir => Path.Combine(Root, RolloutWeightsFolder);

    /// <summary>charts/&lt;name&gt;.html: a chart a notebook saved as a page of its own.</summary>
    public string ChartPath(string name) => Path.Combine(Root, ChartsFolder, name + ".html");

    /// <summary>eval/ holds the eval files reports read; another name (e.g. eval-full) keeps a second test set's
    /// results beside them.</summary>
    public string EvalDir(string name = DefaultEvalDir) => Path.Combine(Root, name);

    /// <summary>eval/&lt;checkpoint&gt;.json, where checkpoint is "base" or "checkpoint-N".</summary>
    public string EvalPath(string checkpointName, string evalDir = DefaultEvalDir) => Path.Combine(EvalDir(evalDir), checkpointName + ".json");

    /// <summary>Whether <paramref name="name"/> can name an eval folder: a plain name, not one of the run's other folders.</summary>
    public static bool IsEvalDirName(string name) =>
        name.Length > 0 && name.IndexOfAny(['/', '\\']) < 0 && name is not ("." or ".." or CheckpointsFolder or LogsFolder or SamplesFolder or ChartsFolder
            or RolloutWeightsFolder);

    public string CheckpointDir(int step) => Path.Combine(CheckpointsDir, CheckpointName(step));

    public void Create()
    {
        Directory.CreateDirectory(Root);
        Directory.CreateDirectory(Path.GetDirectoryName(LogPath)!);
        Directory.CreateDirectory(SamplesDir);
        Directory.CreateDirectory(CheckpointsDir);
    }

    /// <summary>The run's config.json as written when training starts (the trainer's fields and the task's, flat); null
    /// when there is none yet.</summary>
    public System.Text.Json.Nodes.JsonObject? LoadConfigJson() => File.Exists(ConfigPath) ? StrictJson.ReadObject(ConfigPath) : null;

    /// <summary>The trainer's settings of config.json (its other fields are the task's); null when there is none yet.</summary>
    public GrpoConfig? LoadConfig() => LoadConfigJson() is { } json ? GrpoConfig.FromRunJson(json, ConfigPath) : null;

    /// <summary>Whether a run has trained here: it logged a step or saved a checkpoint.</summary>
    public bool HoldsRun => File.Exists(MetricsPath) || LatestCheckpoint() is not null;

    /// <summary>The run's model_name_or_path, resolved against the working directory, then the repository root the
    /// run folder sits in (runs/&lt;name&gt; -> ../..), then the run folder; null when the run has no config.json.</summary>
    public string? BaseModelDir()
    {
        var value = LoadConfig()?.ModelNameOrPath;
        if (string.IsNullOrEmpty(value)) return null;
        if (Path.IsPathRooted(value)) return value;
        var candidates = new[] { Path.GetFullPath(value), Path.GetFullPath(Path.Combine(Root, "..", "..", value)), Path.GetFullPath(Path.Combine(Root, value)) };
        return candidates.FirstOrDefault(Directory.Exists) ?? value;
    }

    // ------------------------------------------------------------------ checkpoints

    [GeneratedRegex(@"^checkpoint-([0-9]+)$")]
    private static partial Regex CheckpointNamePattern();

    public static string CheckpointName(int step) => CheckpointPrefix + step.ToString(CultureInfo.InvariantCulture);

    /// <summary>N of a folder named checkpoint-N; null for any other name (checkpoint-5.damaged, a temporary folder).</summary>
    public static int? StepOf(string checkpointDir)
    {
        var m = CheckpointNamePattern().Match(Path.GetFileName(Path.TrimEndingDirectorySeparator(checkpointDir)));
        return m.Success && int.TryParse(m.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
    }

    /// <summary>The one rule for a complete checkpoint: it holds trainer_state.json, which the trainer writes last
    /// (a checkpoint is also renamed into place whole, see Checkpoints.Save). Evaluation and resume both use it.</summary>
    public static bool IsComplete(string checkpointDir) => File.Exists(Path.Combine(checkpointDir, TrainerState.FileName));

    /// <summary>Complete checkpoints, lowest step first.</summary>
    public IReadOnlyList<Checkpoint> CompleteCheckpoints()
    {
        if (!Directory.Exists(CheckpointsDir)) return [];
        return Directory.GetDirectories(CheckpointsDir)
            .Select(d => (Dir: d, Step: StepOf(d)))
            .Where(x => x.Step is not null && IsComplete(x.Dir))
            .Select(x => new Checkpoint(x.Dir, x.Step!.Value))
            .OrderBy(c => c.Step).ToList();
    }

    /// <summary>Throws when an entry named checkpoint-N is not a folder (a file, a loop of symbolic links): the run
    /// would train up to step N and then fail to save its checkpoint there. Checked before a run starts.</summary>
    public void RequireCheckpointFolders()
    {
        if (!Directory.Exists(CheckpointsDir)) return;
        foreach (var entry in Directory.EnumerateFileSystemEntries(CheckpointsDir).Order(StringComparer.Ordinal))
        {
            if (StepOf(entry) is null) continue;
            try { InputPaths.RequireFolder(entry, "checkpoint"); }
            catch (BadInputException e)
            { throw new BadInputException($"{e.Message}; the run saves {Path.GetFileName(entry)} there: move it out of the way", e); }
        }
    }

    /// <summary>The complete checkpoint with the highest step, or null.</summary>
    public Checkpoint? LatestCheckpoint() => CompleteCheckpoints().LastOrDefault();

    /// <summary>
    /// The newest complete checkpoint whose files check out (<see cref="Checkpoints.Verify"/>), for a resume. A
    /// newer one that fails (a disk that lost data in a crash, a file cut short) is renamed to checkpoint-N.damaged
    /// (kept, never deleted, and no longer taken for a checkpoint) and <paramref name="warn"/> is told why.
    /// </summary>
    public Checkpoint? LatestValidCheckpoint(Action<string>? warn = null)
    {
        foreach (var checkpoint in CompleteCheckpoints().Reverse())
        {
            var problem = Checkpoints.Verify(checkpoint.Dir);
            if (problem is null) return checkpoint;
            var aside = checkpoint.Dir + ".damaged";
            for (int i = 2; Directory.Exists(aside); i++) aside = $"{checkpoint.Dir}.damaged-{i}";
            Directory.Move(checkpoint.Dir, aside);
            warn?.Invoke($"{checkpoint.Name} is damaged ({problem}); moved it to {Path.GetFileName(aside)} and resuming from the previous checkpoint");
        }
        return null;
    }

    /// <summary>The run a checkpoint folder belongs to (…/runs/X/checkpoints/checkpoint-N -> …/runs/X), else null.</summary>
    public static RunFolder? OfCheckpoint(string checkpointDir)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(checkpointDir));
        var parent = Directory.GetParent(full);
        return StepOf(full) is not null && parent?.Name == CheckpointsFolder && parent.Parent is { } root ? new RunFolder(root.FullName) : null;
    }
}
