// Reads a run folder's files (as RunLog, checkpoints and the evaluator write them) into plain records for charts, tables and the report.
using System.Globalization;
using System.Text.Json;
using Grpo.Countdown;
using Grpo.Evaluation;
using Grpo.Training;

namespace Grpo.Reports;

/// <summary>One optimizer step of metrics.jsonl: the step and every numeric field under its TRL name.</summary>
public sealed record MetricsRow(int Step, IReadOnlyDictionary<string, double> Values)
{
    public double? this[string name] => Values.TryGetValue(name, out var v) ? v : null;
}

public static class RunFiles
{
    /// <summary>metrics.jsonl, one row per line; non-numeric fields are skipped. A line that is not a JSON object
    /// with an integer "step" throws, naming the file and line, except an unfinished last line (no newline, not
    /// valid JSON), which a trainer killed mid-append leaves and which is skipped.</summary>
    public static IReadOnlyList<MetricsRow> ReadMetrics(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Metrics file not found: {path}", path);
        Grpo.Files.InputPaths.RequireRegularFile(path, "metrics file");
        var rows = new List<MetricsRow>();
        // Read line by line (a long run's file need not fit in memory as one string). A running (or killed) trainer
        // may have written half of the last line: it has no newline yet.
        bool endsWithNewline = EndsWithNewline(path);
        int lineNo = 0;
        using var lines = File.ReadLines(path).GetEnumerator();
        for (bool more = lines.MoveNext(); more;)
        {
            var line = lines.Current;
            lineNo++;
            more = lines.MoveNext();
            if (line.Trim().Length == 0) continue;
            bool unterminated = !more && !endsWithNewline;
            try
            {
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("step", out var step)
                    || !step.TryGetInt32(out int stepValue))
                    throw new FormatException($"{path}:{lineNo}: expected a JSON object with an integer \"step\"");
                var values = new Dictionary<string, double>();
                foreach (var p in doc.RootElement.EnumerateObject())
                    if (p.Value.ValueKind == JsonValueKind.Number) values[p.Name] = p.Value.GetDouble();
                rows.Add(new MetricsRow(stepValue, values));
            }
            catch (JsonException e)
            {
                if (unterminated) break;
                throw new FormatException($"{path}:{lineNo}: not valid JSON: {e.Message}", e);
            }
        }
        return rows;
    }

    static bool EndsWithNewline(string path)
    {
        using var stream = File.OpenRead(path);
        if (stream.Length == 0) return true;
        stream.Seek(-1, SeekOrigin.End);
        return stream.ReadByte() == '\n';
    }

    /// <summary>The run's metrics.jsonl, or no rows when the run has not logged a step yet.</summary>
    public static IReadOnlyList<MetricsRow> ReadMetricsIfAny(RunFolder run) =>
        File.Exists(run.MetricsPath) ? ReadMetrics(run.MetricsPath) : [];

    /// <summary>Every eval/*.json of the run, base first, then checkpoints by step.</summary>
    public static IReadOnlyList<EvalResult> ReadEvals(RunFolder run)
    {
        var dir = run.EvalDir();
        if (!Directory.Exists(dir)) return [];
        return Directory.GetFiles(dir, "*.json").Select(EvalResult.Load)
            .OrderBy(e => e.Checkpoint == "base" ? 0 : 1).ThenBy(e => e.Step).ThenBy(e => e.Checkpoint, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The base model's eval and the eval of the checkpoint with the highest step; either may be null.</summary>
    public static (EvalResult? Base, EvalResult? Last) BaseAndLast(IReadOnlyList<EvalResult> evals) =>
        (evals.FirstOrDefault(e => e.Checkpoint == "base"), evals.Where(e => e.Checkpoint != "base").MaxBy(e => e.Step));

    public static IReadOnlyList<CompletionSample> ReadSamples(RunFolder run, bool successOnly = false)
    {
        var path = successOnly ? run.SuccessSamplesPath : run.CompletionSamplesPath;
        return File.Exists(path) ? CompletionSamplesFile.Read(path) : [];
    }

    public static IReadOnlyList<AhaHit> ReadAha(RunFolder run) =>
        File.Exists(run.AhaPath) ? AhaExtractor.ReadJsonl(run.AhaPath) : [];

    /// <summary>The run's config.json, or null and why not (no config.json, or one that does not read as a GRPO config):
    /// a report still shows everything else.</summary>
    public static (GrpoConfig? Config, string? Problem) TryConfig(RunFolder run)
    {
        try
        {
            return run.LoadConfigJson() is { } json ? (GrpoConfig.FromRunJson(json, run.ConfigPath, CountdownTaskConfig.FieldNames), null)
                : (null, "the run has no config.json");
        }
        catch (BadInputException e) { return (null, e.Message); }
    }

    /// <summary>The reasoning markers of the run's base model (RunCheckpoints.Markers), or the defaults when the run's
    /// config cannot be read. Only eval files written before behaviour was measured need them.</summary>
    public static ReasoningMarkers Markers(RunFolder run) =>
        TryConfig(run).Config is null ? ReasoningMarkers.Default : RunCheckpoints.Markers(run);

    /// <summary>The run's checkpoint interval (save_steps), or the GrpoConfig default when its config cannot be read.</summary>
    public static int SaveSteps(RunFolder run) => (TryConfig(run).Config ?? new GrpoConfig()).SaveSteps;

    internal static string Format(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}
