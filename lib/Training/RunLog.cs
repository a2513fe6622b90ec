// The trainer's own log files in a run folder: metrics.jsonl (one object per optimizer step, TRL names) and
// logs/train.log. What a task keeps besides (sample files) is its ITaskLog's.
using System.Text;
using System.Text.Json;
using Grpo.Files;

namespace Grpo.Training;

public sealed class RunLog(RunFolder run)
{
    public void Info(string line)
    {
        var text = $"{DateTime.UtcNow:yyyy-MM-dd HH:mm:ss}Z {line}\n";
        AtomicFile.AppendAllText(run.LogPath, text);
    }

    /// <summary>Appends {"step":N, ...} with the metrics in insertion order; non-finite numbers become null.</summary>
    public void Metrics(int step, IReadOnlyList<KeyValuePair<string, double>> metrics)
    {
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("step", step);
            foreach (var (k, v) in metrics)
            {
                if (double.IsFinite(v)) w.WriteNumber(k, v);
                else w.WriteNull(k);
            }
            w.WriteEndObject();
        }
        AtomicFile.AppendAllText(run.MetricsPath, Encoding.UTF8.GetString(buffer.ToArray()) + "\n");
    }

    /// <summary>On resume from step N: drops the metrics lines a killed run logged after its last checkpoint (step &gt;
    /// N), so metrics.jsonl reads as if the run had never been interrupted. A final
    /// metrics line cut short by the kill (no newline at its end, not valid JSON) lies past the checkpoint and is
    /// dropped too; any other bad line is an error naming the file and line. Files are rewritten atomically.</summary>
    public void TruncateAfter(int step)
    {
        if (File.Exists(run.MetricsPath))
        {
            var lines = CompleteLines(File.ReadAllText(run.MetricsPath));
            var kept = new StringBuilder();
            for (int i = 0; i < lines.Count; i++)
            {
                if (lines[i].Trim().Length == 0) continue;
                int? lineStep = StepOf(lines[i]);
                if (lineStep is null)
                    throw new InvalidDataException($"{run.MetricsPath}:{i + 1}: not a JSON object with an integer \"step\"; " +
                        "fix or remove that line to resume");
                if (lineStep <= step) kept.Append(lines[i]).Append('\n');
            }
            AtomicFile.WriteAllText(run.MetricsPath, kept.ToString());
        }
    }

    /// <summary>The lines of <paramref name="text"/>. Every append ends with a newline, so a last line without one
    /// is an append cut short by a kill: kept only when it still parses.</summary>
    static List<string> CompleteLines(string text)
    {
        var lines = text.Split('\n').ToList();
        if (lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);   // the newline that ends the file
        else if (StepOf(lines[^1]) is null) lines.RemoveAt(lines.Count - 1);
        return lines;
    }

    static int? StepOf(string jsonLine)
    {
        try
        {
            using var doc = JsonDocument.Parse(jsonLine);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("step", out var s)
                && s.TryGetInt32(out var step) ? step : null;
        }
        catch (JsonException) { return null; }
    }
}
