// Several runs side by side (notebook 04, `report --run A --run B`): each run's evals and behaviour per checkpoint, and
// what tells the runs apart, the config.json fields whose values differ between them, which every legend names.
// config.json is read as plain JSON, so any field a run records takes part, nested ones as "parent.field".
using System.Text.Json;
using System.Text.Json.Nodes;
using Grpo.Evaluation;
using Grpo.Files;
using Grpo.Training;

namespace Grpo.Reports;

/// <summary>One run of a comparison. <paramref name="Differences"/>: "learning_rate 0.0003" for each config field whose
/// value differs between the compared runs (or why the run's settings are unknown).</summary>
public sealed record ComparedRun(RunFolder Run, string Name, IReadOnlyList<string> Differences, IReadOnlyList<EvalResult> Evals,
    IReadOnlyList<BehaviourRow> Behaviour)
{
    /// <summary>The legend entry: "grpo-lr3 (learning_rate 0.0003, beta 0)", or the name alone when nothing differs.</summary>
    public string Label => Differences.Count == 0 ? Name : $"{Name} ({string.Join(", ", Differences)})";
}

public static class RunComparison
{
    /// <summary>Fields that differ between runs by nature, not by choice: where each run is written.</summary>
    static readonly HashSet<string> NotSettings = ["output_dir"];

    /// <summary>The runs in the order given, with their evals (base first) and stored behaviour, each named by its
    /// folder and labelled with the settings that differ. A folder that does not exist, or one given twice, is an error.</summary>
    public static IReadOnlyList<ComparedRun> Of(IEnumerable<RunFolder> runs)
    {
        var dirs = runs.ToList();
        if (dirs.Count == 0) throw new BadInputException("no run folder to compare");
        foreach (var d in dirs)
            if (!Directory.Exists(d.Root)) throw new BadInputException($"Run folder not found: {d.Root}");
        var twice = dirs.GroupBy(d => Path.GetFullPath(d.Root).TrimEnd('/', '\\')).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null) throw new BadInputException($"run folder given twice: {twice.First().Root}");

        var settings = dirs.Select(Settings).ToList();
        var known = settings.Where(s => s.Fields is not null).Select(s => s.Fields!).ToList();
        var differing = known.SelectMany(f => f.Keys).Distinct().Where(k => !NotSettings.Contains(k))
            .Where(k => known.Select(f => f.GetValueOrDefault(k, Absent)).Distinct().Count() > 1)
            .Order(StringComparer.Ordinal).ToList();
        var names = Names(dirs);
        return dirs.Select((dir, i) =>
        {
            var differences = settings[i].Fields is { } fields
                ? differing.Select(k => $"{k} {fields.GetValueOrDefault(k, Absent)}").ToList()
                : [settings[i].Problem!];
            var evals = RunFiles.ReadEvals(dir);
            return new ComparedRun(dir, names[i], differences, evals, BehaviourTable.StoredRows(evals, RunFiles.Markers(dir)));
        }).ToList();
    }

    const string Absent = "(not set)";

    /// <summary>config.json as "field" (or "parent.field") -> value text; null and why when the run has none or it does
    /// not read.</summary>
    static (Dictionary<string, string>? Fields, string? Problem) Settings(RunFolder run)
    {
        var path = run.ConfigPath;
        if (!File.Exists(path)) return (null, "no config.json");
        try
        {
            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            Flatten(StrictJson.ReadObject(path), "", fields);
            return (fields, null);
        }
        catch (BadInputException) { return (null, "config.json does not read"); }
    }

    static void Flatten(JsonObject json, string prefix, Dictionary<string, string> fields)
    {
        foreach (var (key, value) in json)
        {
            if (value is JsonObject nested) Flatten(nested, prefix + key + ".", fields);
            else fields[prefix + key] = value is null ? "null"
                : value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : value.ToJsonString();
        }
    }

    /// <summary>Each folder's name; folders that share a name (runs/a/x, runs/b/x) are named by their path instead.</summary>
    static List<string> Names(List<RunFolder> runs)
    {
        var names = runs.Select(r => Path.GetFileName(Path.GetFullPath(r.Root).TrimEnd('/', '\\'))).ToList();
        return names.Select((n, i) => names.Count(x => x == n) > 1 ? runs[i].Root : n).ToList();
    }
}
