// Reads the trainer's completion_samples.txt / success_completion_samples.txt (as Grpo.Training.RunLog writes them).
using System.Globalization;
using System.Text.RegularExpressions;

namespace Grpo.Evaluation;

/// <summary>One entry: the header's fields and the completion text exactly as generated (after the prompt's "&lt;think&gt;").</summary>
public sealed record CompletionSample(int Step, IReadOnlyList<int> Nums, int Target, double Reward, int Format,
    int Equation, string Completion, int Line);

public static partial class CompletionSamplesFile
{
    const string HeaderStart = "=== step ";

    // === step 12 | nums [3, 5, 7] | target 22 | reward 2.00 | format 1 | equation 1
    [GeneratedRegex(@"^=== step (?<step>-?\d+) \| nums \[(?<nums>[^\]]*)\] \| target (?<target>-?\d+) \| reward (?<reward>\S+) \| format (?<format>\d+) \| equation (?<equation>\d+)\s*$")]
    private static partial Regex HeaderRegex();

    public static IReadOnlyList<CompletionSample> Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Completion samples file not found: {path}", path);
        Grpo.Files.InputPaths.RequireRegularFile(path, "completion samples file");
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses the whole text. An entry's completion runs to the next header line; the one blank separator
    /// line the writer puts after each completion is removed. Errors name the file and the 1-based line.</summary>
    public static IReadOnlyList<CompletionSample> Parse(string text, string fileName)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n');
        var samples = new List<CompletionSample>();
        int i = 0;
        for (; i < lines.Length && lines[i].Trim().Length == 0; i++) { }
        if (i < lines.Length && !lines[i].StartsWith(HeaderStart, StringComparison.Ordinal))
            throw new FormatException($"{fileName}:{i + 1}: expected an entry header starting with '{HeaderStart}', got '{Shorten(lines[i])}'.");
        while (i < lines.Length)
        {
            int headerLine = i;
            var (step, nums, target, reward, format, equation) = ParseHeader(lines[i], fileName, i + 1);
            int start = ++i;
            while (i < lines.Length && !lines[i].StartsWith(HeaderStart, StringComparison.Ordinal)) i++;
            // Put back the line break that ends the body's last line when another header follows.
            var body = string.Join("\n", lines, start, i - start) + (i < lines.Length ? "\n" : "");
            // The writer emits "<completion>\n\n" (blank line between entries); a hand-edited file may have less.
            if (body.EndsWith("\n\n", StringComparison.Ordinal)) body = body[..^2];
            else if (body.EndsWith('\n')) body = body[..^1];
            samples.Add(new CompletionSample(step, nums, target, reward, format, equation, body, headerLine + 1));
        }
        return samples;
    }

    static (int, int[], int, double, int, int) ParseHeader(string line, string fileName, int lineNo)
    {
        var m = HeaderRegex().Match(line);
        if (!m.Success)
            throw new FormatException($"{fileName}:{lineNo}: malformed entry header '{Shorten(line)}'; expected " +
                "'=== step N | nums [a, b, c] | target T | reward R | format 0|1 | equation 0|1'.");
        var inv = CultureInfo.InvariantCulture;
        var numsText = m.Groups["nums"].Value.Trim();
        int[] nums;
        try
        {
            nums = numsText.Length == 0 ? [] : numsText.Split(',').Select(s => int.Parse(s.Trim(), inv)).ToArray();
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            throw new FormatException($"{fileName}:{lineNo}: nums '[{numsText}]' is not a list of integers.");
        }
        if (!double.TryParse(m.Groups["reward"].Value, NumberStyles.Float, inv, out var reward))
            throw new FormatException($"{fileName}:{lineNo}: reward '{m.Groups["reward"].Value}' is not a number.");
        int Int(string group) => int.TryParse(m.Groups[group].Value, NumberStyles.AllowLeadingSign, inv, out var v) ? v
            : throw new FormatException($"{fileName}:{lineNo}: {group} '{Shorten(m.Groups[group].Value)}' does not fit in an int.");
        return (Int("step"), nums, Int("target"), reward, Int("format"), Int("equation"));
    }

    static string Shorten(string s) => s.Length <= 80 ? s : s[..80] + "...";
}
