// The files a GRPO run writes besides checkpoints (the run folder README.md describes): config.json,
// metrics.jsonl (one object per optimizer step, TRL names), logs/train.log, completion_samples/*.txt.
using System.Globalization;
using System.Text;
using System.Text.Json;
using Grpo.Files;

namespace Grpo.Training;

/// <summary>One completion as the sample files show it.</summary>
public sealed record CompletionSampleEntry(int Step, IReadOnlyList<int> Nums, int Target, double Reward, int Format,
    int Equation, string Completion);

public sealed class RunLog(RunFolder run)
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

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

    public static string FormatSample(CompletionSampleEntry s) =>
        string.Create(Inv, $"=== step {s.Step} | nums [{string.Join(", ", s.Nums)}] | target {s.Target} | reward {s.Reward:F2} | format {s.Format} | equation {s.Equation}\n{s.Completion}\n\n");

    public void Samples(IEnumerable<CompletionSampleEntry> all, IEnumerable<CompletionSampleEntry> successes)
    {
        var a = string.Concat(all.Select(FormatSample));
        if (a.Length > 0) AtomicFile.AppendAllText(run.CompletionSamplesPath, a);
        var s = string.Concat(successes.Select(FormatSample));
        if (s.Length > 0) AtomicFile.AppendAllText(run.SuccessSamplesPath, s);
    }

    /// <summary>On resume from step N: drops what a killed run logged after its last checkpoint (metrics lines and
    /// sample entries with step &gt; N), so the run's files read as if it had never been interrupted. A final
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
        foreach (var path in new[] { run.CompletionSamplesPath, run.SuccessSamplesPath })
        {
            if (!File.Exists(path)) continue;
            var text = File.ReadAllText(path);
            int cut = FirstEntryAfter(text, step);
            if (cut >= 0) AtomicFile.WriteAllText(path, text[..cut]);
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

    static int FirstEntryAfter(string text, int step)
    {
        const string header = "=== step ";
        int pos = 0;
        while (pos < text.Length)
        {
            if (string.CompareOrdinal(text, pos, header, 0, header.Length) == 0)
            {
                int end = pos + header.Length;
                while (end < text.Length && char.IsDigit(text[end])) end++;
                if (int.TryParse(text.AsSpan(pos + header.Length, end - pos - header.Length), Inv, out var s) && s > step) return pos;
            }
            int nl = text.IndexOf('\n', pos);
            if (nl < 0) break;
            pos = nl + 1;
        }
        return -1;
    }
}
