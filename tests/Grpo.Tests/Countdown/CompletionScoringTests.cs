// The `score` command's library path: one output line per input line, rewards added, bad lines named.
using System.Text.Json.Nodes;
using Grpo.Countdown;
using Xunit;

namespace Grpo.Tests.Countdown;

public sealed class CompletionScoringTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("countdown-score-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Score(string input)
    {
        var output = new StringWriter();
        CompletionScoring.Score(new StringReader(input), output, "in.jsonl");
        return output.ToString();
    }

    [Fact]
    public void Each_line_keeps_its_fields_and_gains_the_rewards_in_order()
    {
        string input = """
            {"completion": "x</think>\n<answer>(1 + 2) / 3</answer>", "nums": [1, 2, 3], "target": 1, "id": "a"}
            {"completion": "no tags at all", "nums": [1, 2, 3], "target": 1, "id": "b"}
            {"completion": "x</think>\n<answer>1/3+2</answer> tail", "nums": [1, 3, 2], "target": 2, "id": "c"}
            """;
        var lines = Score(input).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject()).ToArray();
        Assert.Equal(["a", "b", "c"], lines.Select(l => (string)l["id"]!));
        Assert.Equal([1.0, 0.0, 0.0], lines.Select(l => (double)l["format_reward"]!));
        Assert.Equal([1.0, 0.0, 0.0], lines.Select(l => (double)l["equation_reward"]!));
        Assert.Equal(1.0, (double)lines[0]["gen_calculation"]!);
        Assert.Null(lines[1]["gen_calculation"]);
        Assert.Equal(7.0 / 3.0, (double)lines[2]["gen_calculation"]!);
        Assert.Equal("(1 + 2) / 3", (string)lines[0]["answer"]!);
        Assert.Null(lines[1]["answer"]);
        Assert.Equal([1, 3, 2], lines[2]["nums"]!.AsArray().Select(n => (int)n!));
    }

    [Theory]
    [InlineData("not json", "line 2")]
    [InlineData("[1, 2, 3]", "not a JSON object")]
    [InlineData("{\"completion\": \"x\", \"nums\": [1, 2, 3]}", "'target'")]
    [InlineData("{\"completion\": \"x\", \"target\": 6}", "'nums'")]
    [InlineData("{\"nums\": [1, 2, 3], \"target\": 6}", "'completion'")]
    [InlineData("{\"completion\": \"x\", \"nums\": [1, \"2\", 3], \"target\": 6}", "'nums'")]
    [InlineData("{\"completion\": \"x\", \"nums\": [1, 2, 3], \"target\": 6.5}", "'target'")]
    [InlineData("", "empty line")]
    public void Bad_line_is_reported_with_its_line_number(string badLine, string expectedInMessage)
    {
        string input = "{\"completion\": \"x\", \"nums\": [1, 2, 3], \"target\": 6}\n" + badLine + "\n{\"completion\": \"y\", \"nums\": [1], \"target\": 1}\n";
        var e = Assert.Throws<InvalidDataException>(() => Score(input));
        Assert.Contains("in.jsonl: line 2", e.Message);
        Assert.Contains(expectedInMessage, e.Message);
    }

    [Fact]
    public void Bad_file_leaves_no_output_file()
    {
        string input = Path.Combine(_dir, "in.jsonl"), output = Path.Combine(_dir, "out.jsonl");
        File.WriteAllText(input, "{\"completion\": \"x\", \"nums\": [1, 2, 3], \"target\": 6}\n{oops\n");
        var e = Assert.Throws<InvalidDataException>(() => CompletionScoring.ScoreFile(input, output));
        Assert.Contains("line 2", e.Message);
        Assert.Empty(Directory.GetFiles(_dir, "out.jsonl*"));
    }

    [Fact]
    public void Good_file_is_scored_line_for_line()
    {
        string input = Path.Combine(_dir, "in.jsonl"), output = Path.Combine(_dir, "sub", "out.jsonl");
        File.WriteAllText(input, string.Concat(Enumerable.Range(1, 50).Select(i =>
            $"{{\"completion\": \"t</think>\\n<answer>{i}+1-1</answer>\", \"nums\": [{i}, 1, 1], \"target\": {i}}}\n")));
        Assert.Equal(50, CompletionScoring.ScoreFile(input, output));
        var lines = File.ReadAllLines(output);
        Assert.Equal(50, lines.Length);
        Assert.All(lines, l => Assert.Equal(1.0, (double)JsonNode.Parse(l)!["equation_reward"]!));
    }
}
