// What starting a GRPO run will do with its run folder, in words, before any model loads: start at step 0, start
// over (a stopped run saved no checkpoint), resume from a checkpoint, or nothing (the run is finished).
using System.Text.Json.Nodes;

namespace Grpo.Training;

public sealed record RunStart(string RunDir, int MaxSteps, bool Resume, int? CheckpointStep, int LoggedSteps,
                              IReadOnlyList<(string Field, string Saved, string Now)> ChangedSettings)
{
    /// <summary>Fields a resumed run may change: how far it goes, how often it saves, where it runs (its rollout servers
    /// included: a restarted server may come back elsewhere).</summary>
    public static readonly IReadOnlySet<string> ResumableFields = new HashSet<string>
    {
        "max_steps", "save_steps", "output_dir", "device", "completion_sample_fraction",
        "vllm_server_base_url", "vllm_server_base_urls", "vllm_server_host", "vllm_server_port", "vllm_server_timeout",
        "vllm_server_retries", "vllm_sync_dir", "vllm_sync_server_dir",
    };

    /// <summary>The step training starts from (what <see cref="GrpoRun.Create"/> will restore).</summary>
    public int Step => Resume ? CheckpointStep ?? 0 : 0;
    public bool Finished => Step >= MaxSteps;

    /// <summary>Reads the run folder of <paramref name="config"/>: last complete checkpoint, steps in metrics.jsonl and
    /// the settings in its config.json that differ from <paramref name="config"/> and the task's settings
    /// <paramref name="task"/> (as GrpoTask.Settings).</summary>
    public static RunStart Inspect(GrpoConfig config, bool resume, JsonObject? task = null)
    {
        var run = config.Run;
        var checkpoint = run.LatestCheckpoint();
        return new RunStart(run.Root, config.MaxSteps, resume, checkpoint?.Step, LastLoggedStep(run.MetricsPath),
            run.LoadConfigJson() is { } saved ? Differences(saved, config.ToRunJson(task)) : []);
    }

    /// <summary>One line: what a (re)run does and from which step.</summary>
    public string Describe()
    {
        if (!Resume || CheckpointStep is null && LoggedSteps == 0)
            return $"starting {RunDir} at step 0 of {MaxSteps}";
        if (CheckpointStep is not { } c)
            return $"starting {RunDir} over at step 0 of {MaxSteps}: the stopped run saved no checkpoint (its {LoggedSteps} logged steps are dropped)";
        if (Finished)
            return $"{RunDir} is finished (step {c} of {MaxSteps}, {RunFolder.CheckpointName(c)}): nothing to train";
        return $"resuming {RunDir} from {RunFolder.CheckpointName(c)} at step {c} of {MaxSteps}" +
               (LoggedSteps > c + 1 ? $" (steps {c + 1}-{LoggedSteps} of the stopped run are redone)"
                : LoggedSteps == c + 1 ? $" (step {c + 1} of the stopped run is redone)" : "");
    }

    /// <summary>Throws when resuming would continue the saved run with other settings than it was trained with
    /// (the run would match neither its config.json nor the new settings).</summary>
    public RunStart RequireSameSettings()
    {
        var changed = ChangedSettings.Where(d => !ResumableFields.Contains(d.Field)).ToList();
        if (Resume && CheckpointStep is not null && changed.Count > 0)
            throw new InvalidOperationException(
                $"{RunDir} holds a run trained with other settings ({string.Join(", ", changed.Select(d => $"{d.Field} {d.Saved} there, {d.Now} here"))}): " +
                "to train with these, choose a new run folder; to continue that run, put its settings back");
        return this;
    }

    static int LastLoggedStep(string metricsPath)
    {
        if (!File.Exists(metricsPath)) return 0;
        var last = File.ReadLines(metricsPath).LastOrDefault(l => l.Trim().Length > 0);
        try { return last is null ? 0 : (int?)JsonNode.Parse(last)?["step"] ?? 0; }
        catch (Exception e) when (e is System.Text.Json.JsonException or FormatException or InvalidOperationException) { return 0; }
    }

    /// <summary>The fields both documents hold whose values differ (a task that keeps no settings compares the
    /// trainer's alone).</summary>
    static List<(string, string, string)> Differences(JsonObject saved, JsonObject now) =>
        saved.Where(kv => now.ContainsKey(kv.Key) && !JsonNode.DeepEquals(kv.Value, now[kv.Key]))
            .Select(kv => (kv.Key, kv.Value?.ToJsonString() ?? "null", now[kv.Key]?.ToJsonString() ?? "null")).ToList();
}
