// Scores a JSONL file of completions: each line {"completion", "nums", "target"} gets format_reward,
// equation_reward, gen_calculation and answer added. A bad line stops the run with its line number.
using System.Text.Json;
using System.Text.Json.Nodes;
using Grpo.Files;

namespace Grpo.Countdown;

public static class CompletionScoring
{
    /// <summary>Adds the rewards to one parsed input line; throws when a field is missing or of the wrong type.</summary>
    public static JsonObject ScoreLine(JsonObject line)
    {
        string completion = line["completion"] is JsonValue c && c.TryGetValue<string>(out var s)
            ? s : throw new FormatException("field 'completion' is missing or not a string");
        var nums = line["nums"] is JsonArray a ? a.Select(n => Integer(n, "nums")).ToArray()
            : throw new FormatException("field 'nums' is missing or not an array");
        if (nums.Length == 0) throw new FormatException("field 'nums' is empty");
        int target = Integer(line["target"], "target");

        var equation = CountdownRewards.EquationReward(completion, nums, target);
        line["format_reward"] = CountdownRewards.FormatReward(completion);
        line["equation_reward"] = equation.Reward;
        line["gen_calculation"] = equation.Value;
        line["answer"] = equation.Answer;
        return line;
    }

    /// <summary>
    /// Reads every line of input, writes one scored line per input line in the same order, returns the count.
    /// Throws InvalidDataException naming source and line number on the first bad line (empty, not a JSON
    /// object, missing or mistyped field); callers write to a temporary file so no partial output survives.
    /// </summary>
    public static int Score(TextReader input, TextWriter output, string sourceName)
    {
        int lineNumber = 0;
        var options = new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        for (string? text = input.ReadLine(); text is not null; text = input.ReadLine())
        {
            lineNumber++;
            JsonObject scored;
            try
            {
                if (string.IsNullOrWhiteSpace(text)) throw new FormatException("empty line");
                var node = JsonNode.Parse(text, documentOptions: StrictJson.Options) as JsonObject ?? throw new FormatException("not a JSON object");
                scored = ScoreLine(node);
            }
            catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException)
            {
                throw new InvalidDataException($"{sourceName}: line {lineNumber}: {e.Message}", e);
            }
            output.WriteLine(scored.ToJsonString(options));
        }
        return lineNumber;
    }

    /// <summary>Scores inputPath into outputPath (written to a temporary file, then moved into place, so a bad line
    /// leaves no output and an existing output file untouched).</summary>
    public static int ScoreFile(string inputPath, string outputPath)
    {
        InputPaths.RequireRegularFile(inputPath, "--input");
        OutputPaths.CheckFile(outputPath, "--output");
        if (Path.GetFullPath(inputPath) == Path.GetFullPath(outputPath))
            throw new BadInputException($"--output {outputPath} is the input file; write the scores elsewhere");
        int count = 0;
        AtomicFile.Write(outputPath, stream =>
        {
            using var reader = new StreamReader(inputPath);
            using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false), leaveOpen: true);
            count = Score(reader, writer, inputPath);
        });
        return count;
    }

    private static int Integer(JsonNode? node, string field)
    {
        if (node is JsonValue v)
        {
            if (v.TryGetValue<int>(out var i)) return i;
            if (v.TryGetValue<double>(out var d) && d == Math.Floor(d) && d is >= int.MinValue and <= int.MaxValue) return (int)d;
        }
        throw new FormatException($"field '{field}' is missing or holds {node?.ToJsonString() ?? "nothing"}, not an integer");
    }
}
