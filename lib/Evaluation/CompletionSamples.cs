// The completion sample files of a Countdown run (completion_samples.txt, success_completion_samples.txt): the writer
// (the run's task log appends a step's entries), the reader (aha extraction, reports, notebooks) and the cut a resume
// makes, in one place so the format has one definition. A completion line that could be read as an entry header is
// escaped with one backslash (see Escape), so no completion can end an entry or move a resume's cut.
using System.Globalization;
using System.Text.RegularExpressions;
using Grpo.Files;

namespace Grpo.Evaluation;

/// <summary>One entry: the header's fields and the completion text exactly as generated (after the prompt's
/// "&lt;think&gt;"). Line: the 1-based line of the header in the file it was read from (0 when not read).</summary>
public sealed record CompletionSample(int Step, IReadOnlyList<int> Nums, int Target, double Reward, int Format,
    int Equation, string Completion, int Line = 0);

public static partial class CompletionSamplesFile
{
    const string HeaderStart = "=== step ";

    /// <summary>"=== step N | nums [a, b, c] | target T | reward R | format F | equation E", the completion (escaped, see
    /// <see cref="Escape"/>), a blank line.</summary>
    public static string Format(CompletionSample s) =>
        string.Create(CultureInfo.InvariantCulture, $"{HeaderStart}{s.Step} | nums [{string.Join(", ", s.Nums)}] | target {s.Target} | reward {s.Reward:F2} | format {s.Format} | equation {s.Equation}\n{Escape(s.Completion)}\n\n");

    /// <summary>The completion as the file holds it: every line that is "=== step " after zero or more backslashes gets
    /// one more backslash in front. Header lines never start with a backslash, so a line starting with "=== step "
    /// is always a header, and the file stays plain text a person can read ("\=== step 3" inside a completion).</summary>
    public static string Escape(string completion) => MapLines(completion, line => LooksLikeHeader(line) ? "\\" + line : line);

    /// <summary>Undoes <see cref="Escape"/>: drops one leading backslash from each line that is backslashes + "=== step ".</summary>
    public static string Unescape(string body) => MapLines(body, line => line.StartsWith('\\') && LooksLikeHeader(line) ? line[1..] : line);

    /// <summary>Whether the line is "=== step " after zero or more backslashes.</summary>
    static bool LooksLikeHeader(string line) => line.AsSpan().TrimStart('\\').StartsWith(HeaderStart, StringComparison.Ordinal);

    static string MapLines(string text, Func<string, string> map) =>
        text.Contains(HeaderStart, StringComparison.Ordinal) ? string.Join('\n', text.Split('\n').Select(map)) : text;

    /// <summary>Appends the entries (nothing when there are none) in one write.</summary>
    public static void Append(string path, IEnumerable<CompletionSample> samples)
    {
        var text = string.Concat(samples.Select(Format));
        if (text.Length > 0) AtomicFile.AppendAllText(path, text);
    }

    /// <summary>On resume from step N: drops the entries of steps after N (what a killed run wrote after its last
    /// checkpoint); the file is rewritten atomically, and left alone when nothing follows step N.</summary>
    public static void TruncateAfter(string path, int step)
    {
        if (!File.Exists(path)) return;
        var text = File.ReadAllText(path);
        int cut = FirstEntryAfter(text, step);
        if (cut >= 0) AtomicFile.WriteAllText(path, text[..cut]);
    }

    /// <summary>Where the first entry of a step after <paramref name="step"/> starts, or -1.</summary>
    static int FirstEntryAfter(string text, int step)
    {
        int pos = 0;
        while (pos < text.Length)
        {
            if (string.CompareOrdinal(text, pos, HeaderStart, 0, HeaderStart.Length) == 0)
            {
                int end = pos + HeaderStart.Length;
                while (end < text.Length && char.IsDigit(text[end])) end++;
                if (int.TryParse(text.AsSpan(pos + HeaderStart.Length, end - pos - HeaderStart.Length), CultureInfo.InvariantCulture, out var s) && s > step)
                    return pos;
            }
            int nl = text.IndexOf('\n', pos);
            if (nl < 0) break;
            pos = nl + 1;
        }
        return -1;
    }

    // === step 12 | nums [3, 5, 7] | target 22 | reward 2.00 | format 1 | equation 1
    [GeneratedRegex(@"^=== step (?<step>-?\d+) \| nums \[(?<nums>[^\]]*)\] \| target (?<target>-?\d+) \| reward (?<reward>\S+) \| format (?<format>\d+) \| equation (?<equation>\d+)\s*$")]
    private static partial Regex HeaderRegex();

    public static IReadOnlyList<CompletionSample> Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Completion samples file not found: {path}", path);
        InputPaths.RequireSizeAtMost(path, EvalResult.MaxFileBytes, "completion samples file",
            "a 200-step run writes a few MB; 1,000 steps of 32 completions of 1,024 tokens about 13 MB");
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
            samples.Add(new CompletionSample(step, nums, target, reward, format, equation, Unescape(body), headerLine + 1));
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
