// Smaller readers of user files: the <answer> scan of `score` (now one linear pass, same blocks as the regex it
// replaced), completion-sample headers with numbers too large, and eval files with missing or repeated fields.
using System.Text.RegularExpressions;
using Grpo.Countdown;
using Grpo.Evaluation;
using Xunit;

namespace Grpo.Tests.BadInput;

public sealed class ReaderBadInputTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("grpo-readers-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    // The definition the linear scan must keep: the last match of the lazy regex, scanning left to right.
    static string? RegexLastAnswer(string text) =>
        Regex.Matches(text, "<answer>(.*?)</answer>", RegexOptions.Singleline).LastOrDefault()?.Groups[1].Value.Trim();

    [Fact]
    public void Last_answer_is_the_last_block_the_lazy_regex_finds_on_random_tag_soup()
    {
        string[] pieces = ["<answer>", "</answer>", "<answer", "answer>", "1 + 2", " ", "\n", "<", ">", "/"];
        var rng = new Random(11);
        for (int i = 0; i < 5000; i++)
        {
            var text = string.Concat(Enumerable.Range(0, rng.Next(0, 14)).Select(_ => pieces[rng.Next(pieces.Length)]));
            Assert.True(RegexLastAnswer(text) == CountdownRewards.LastAnswer(text), $"differs on \"{text}\"");
        }
    }

    [Fact]
    public void A_megabyte_of_repeated_answer_tags_scores_as_no_answer()
    {
        var completion = string.Concat(Enumerable.Repeat("<answer>", 1 << 17));   // 1 MB, the review's slow case
        Assert.Null(CountdownRewards.LastAnswer(completion));
        Assert.Equal(0, CountdownRewards.EquationReward(completion, [1, 2], 3).Reward);
        var closesThenAnswer = string.Concat(Enumerable.Repeat("</answer>", 1 << 17)) + "<answer>1+2</answer>" +
                               string.Concat(Enumerable.Repeat("<|im_end|>", 100_000));
        Assert.Equal(1, CountdownRewards.EquationReward(closesThenAnswer, [1, 2], 3).Reward);
    }

    [Fact]
    public void Sample_header_with_a_step_too_large_for_an_int_names_the_line()
    {
        var e = Assert.Throws<FormatException>(() => CompletionSamplesFile.Parse(
            "=== step 99999999999 | nums [1, 2] | target 3 | reward 0 | format 0 | equation 0\nx\n", "s.txt"));
        Assert.Contains("s.txt:1", e.Message);
        Assert.Contains("step", e.Message);
        Assert.Throws<FormatException>(() => CompletionSamplesFile.Parse(
            "=== step 1 | nums [1, 99999999999] | target 3 | reward 0 | format 0 | equation 0\nx\n", "s.txt"));
    }

    [Theory]
    [InlineData("""{"checkpoint": "c", "step": 1, "model_dir": "m", "num_problems": 0, "accuracy": 0, "format_rate": 0, "sampled": null}""", "records")]
    [InlineData("""{"checkpoint": "c", "checkpoint": "d", "step": 1, "model_dir": "m", "num_problems": 0, "accuracy": 0, "format_rate": 0, "sampled": null, "records": []}""", "checkpoint")]
    [InlineData("""{"checkpoint": null, "step": 1, "model_dir": "m", "num_problems": 0, "accuracy": 0, "format_rate": 0, "sampled": null, "records": []}""", "checkpoint")]
    [InlineData("null", "null")]
    public void Eval_file_with_a_missing_repeated_or_null_field_names_the_file(string json, string fragment)
    {
        var path = Path.Combine(dir, "c.json");
        File.WriteAllText(path, json);
        var e = Assert.Throws<FormatException>(() => EvalResult.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(fragment, e.Message);
    }

    [Fact]
    public void TorchSharp_PyBridge_and_its_pickle_reader_are_not_shipped()
    {
        // Dependencies flow into this test project's deps.json; the library no longer references the package.
        var deps = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Grpo.Tests.deps.json"));
        Assert.DoesNotContain("TorchSharp.PyBridge", deps);
        Assert.DoesNotContain("Razorvine.Pickle", deps);
    }
}
