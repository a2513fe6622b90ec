// Scoring of known completions into eval records, without a model: score, gen_calculation, format, summaries.
using System.Text.Json;
using Grpo.Countdown;
using Grpo.Evaluation;
using Xunit;

namespace Grpo.Tests.Evaluation;

public class EvalRecordsTests
{
    static readonly CountdownProblem Problem = new([44, 19, 35], 98);

    [Fact]
    public void Correct_answer_scores_one_with_its_computed_value()
    {
        var r = EvalRecords.Build(7, Problem, "P", " 44+19=63, 63+35=98 </think>\n<answer>(44 + 19) + 35</answer>");
        Assert.Equal((7, 1.0, 98.0, 1.0, 98), (r.TestId, r.Score, r.GenCalculation, r.FormatReward, r.Target));
        Assert.Equal([44, 19, 35], r.Nums);
        Assert.Equal("P", r.Prompt);
        Assert.Null(r.SampledScores);
    }

    [Fact]
    public void Wrong_answer_scores_zero_but_reports_its_value()
    {
        var r = EvalRecords.Build(0, Problem, "P", "try</think>\n<answer>44 + 19 - 35</answer>");
        Assert.Equal((0.0, 28.0, 1.0), (r.Score, r.GenCalculation, r.FormatReward));
    }

    [Fact]
    public void Completion_without_answer_has_no_value_and_no_format()
    {
        var r = EvalRecords.Build(0, Problem, "P", "I am not sure");
        Assert.Equal((0.0, (double?)null, 0.0), (r.Score, r.GenCalculation, r.FormatReward));
    }

    [Fact]
    public void Correct_equation_in_bad_format_scores_one_with_format_zero()
    {
        var r = EvalRecords.Build(0, Problem, "P", "<answer>35 + 44 + 19</answer> and more text");
        Assert.Equal((1.0, 0.0), (r.Score, r.FormatReward));
    }

    [Fact]
    public void Sampled_scores_follow_each_sample_and_give_mean_accuracy_and_pass_at_k()
    {
        string ok = "</think>\n<answer>44+19+35</answer>", bad = "</think>\n<answer>44+19</answer>";
        var records = new[]
        {
            EvalRecords.Build(0, Problem, "P", ok, [ok, bad, bad, ok]),
            EvalRecords.Build(1, Problem, "P", bad, [bad, bad, bad, bad]),
        };
        Assert.Equal([1.0, 0, 0, 1], records[0].SampledScores!);
        Assert.Equal(0.5, EvalRecords.Accuracy(records));
        var s = EvalRecords.Sampled(records, 4, 1.0, 1.0)!;
        Assert.Equal((4, 2.0 / 8, 0.5), (s.K, s.MeanAccuracy, s.PassAtK));
        Assert.Null(EvalRecords.Sampled(records, 0, 1.0, 1.0));
        // Problem 0: 2 of 4 correct. pass@1 = 1/2; pass@2 = 1 - C(2,2)/C(4,2) = 5/6; pass@4 = 1. Problem 1: all 0.
        Assert.Equal(["1", "2", "4"], s.PassAt!.Keys.Order());
        Assert.Equal(0.25, s.PassAt["1"], 12);
        Assert.Equal(5.0 / 12, s.PassAt["2"], 12);
        Assert.Equal(0.5, s.PassAt["4"], 12);
    }

    [Fact]
    public void Pass_at_j_matches_the_binomial_formula()
    {
        // 1 - C(n-c, j)/C(n, j) by hand: n=8, c=3, j=4 -> 1 - C(5,4)/C(8,4) = 1 - 5/70.
        Assert.Equal(1 - 5.0 / 70, EvalRecords.PassAt(8, 3, 4), 12);
        Assert.Equal(3.0 / 8, EvalRecords.PassAt(8, 3, 1), 12);
        Assert.Equal(1.0, EvalRecords.PassAt(8, 5, 4));
        Assert.Equal(0.0, EvalRecords.PassAt(8, 0, 8));
        Assert.Throws<ArgumentException>(() => EvalRecords.PassAt(2, 1, 4));
    }

    [Fact]
    public void Eval_file_uses_the_contract_field_names_and_round_trips()
    {
        var dir = Directory.CreateTempSubdirectory("eval-file-").FullName;
        try
        {
            var record = EvalRecords.Build(0, Problem, "P", "</think>\n<answer>44+19+35</answer>");
            var result = new EvalResult("checkpoint-50", 50, "m", 1, 1, 1, null, [record]);
            var path = Path.Combine(dir, "eval", "checkpoint-50.json");
            result.Save(path);
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var root = doc.RootElement;
            Assert.Equal(JsonValueKind.Null, root.GetProperty("sampled").ValueKind);
            Assert.Equal(50, root.GetProperty("step").GetInt32());
            Assert.Equal(1, root.GetProperty("num_problems").GetInt32());
            var rec = root.GetProperty("records")[0];
            foreach (var name in new[] { "test_id", "score", "prompt", "nums", "generation", "gen_calculation", "target", "format_reward" })
                Assert.True(rec.TryGetProperty(name, out _), name);
            Assert.False(rec.TryGetProperty("sampled_scores", out _));
            Assert.Equal(98.0, rec.GetProperty("gen_calculation").GetDouble());

            var back = EvalResult.Load(path);
            Assert.Equal(record.Generation, back.Records[0].Generation);
            Assert.Equal(record.Nums, back.Records[0].Nums);
            Assert.False(File.Exists(path + ".tmp"));
        }
        finally { Directory.Delete(dir, true); }
    }
}
