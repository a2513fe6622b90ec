// Aha-moment extraction: phrase matching rules, context windows, counts per step, correctness, run-folder files.
using Grpo.Training;
using Grpo.Countdown;
using Grpo.Evaluation;
using Xunit;

namespace Grpo.Tests.Evaluation;

public class AhaExtractorTests
{
    static IReadOnlyList<string> Phrases(string text, AhaConfig? config = null) =>
        AhaExtractor.FindPhrases(text, config ?? AhaConfig.Default).Select(h => h.Phrase).ToList();

    [Fact]
    public void Longest_phrase_wins_so_突然意识到_counts_once()
    {
        Assert.Equal(["突然意识到"], Phrases("我突然意识到 49 不对"));
        Assert.Equal(["突然想到"], Phrases("突然想到"));
        Assert.Equal(["突然", "意识到"], Phrases("突然,我意识到"));
    }

    [Fact]
    public void Adjacent_phrases_are_counted_separately()
    {
        Assert.Equal(["重新", "检查"], Phrases("让我重新检查一下"));
        Assert.Equal(["等等", "wait"], Phrases("等等wait"));
    }

    [Fact]
    public void English_phrases_match_case_insensitively_and_as_whole_words_only()
    {
        Assert.Equal(["wait", "wait", "hmm"], Phrases("Wait. 3+4=7. WAIT, hmm"));
        Assert.Empty(Phrases("the result awaited us; the waiter; Bahamas; ahaha"));
        Assert.Equal(["aha"], Phrases("Aha! 98 = 44 + 54"));
    }

    [Fact]
    public void Let_me_re_check_is_one_phrase_not_let_me_check()
    {
        Assert.Equal(["let me re-check"], Phrases("Let me re-check: 5*7=35"));
        Assert.Equal(["let me check"], Phrases("let me check 5*7"));
    }

    [Fact]
    public void Hit_positions_are_reported_in_order()
    {
        var hits = AhaExtractor.FindPhrases("ab wait cd 检查", AhaConfig.Default);
        Assert.Equal([(3, "wait"), (11, "检查")], hits);
    }

    [Fact]
    public void Custom_phrase_list_replaces_the_defaults()
    {
        var config = new AhaConfig(ReasoningMarkers.Default with { Phrases = ["oops"] });
        Assert.Equal(["oops"], Phrases("wait, oops", config));
    }

    [Fact]
    public void Context_is_a_window_of_characters_around_the_hit()
    {
        var config = AhaConfig.Default with { ContextChars = 3 };
        var result = AhaExtractor.Extract([new AhaDocument("s", 1, "abcdefg wait hijklmn", false)], config);
        Assert.Equal("fg wait hi", Assert.Single(result.Hits).Context);

        var edge = AhaExtractor.Extract([new AhaDocument("s", 1, "wait 01", false)], config);
        Assert.Equal("wait 01", Assert.Single(edge.Hits).Context);
    }

    [Fact]
    public void Counts_per_step_give_texts_texts_with_hits_and_hits_per_phrase()
    {
        var docs = new[]
        {
            new AhaDocument("completion_samples", 10, "wait wait", false),
            new AhaDocument("completion_samples", 10, "nothing here", false),
            new AhaDocument("completion_samples", 20, "重新计算, hmm", true),
            new AhaDocument("completion_samples", 20, "检查", false),
            new AhaDocument("completion_samples", 20, "plain", false),
        };
        var result = AhaExtractor.Extract(docs, AhaConfig.Default);
        Assert.Equal(5, result.Hits.Count);
        Assert.Collection(result.Counts,
            c =>
            {
                Assert.Equal((10, 2, 1, 2), (c.Step, c.Completions, c.CompletionsWithHit, c.Hits));
                Assert.Equal(2, c.PerPhrase["wait"]);
                Assert.Equal(0.5, c.HitRate);
            },
            c =>
            {
                Assert.Equal((20, 3, 2, 3), (c.Step, c.Completions, c.CompletionsWithHit, c.Hits));
                Assert.Equal(1, c.PerPhrase["重新"]);
                Assert.Equal(1, c.PerPhrase["hmm"]);
                Assert.Equal(1, c.PerPhrase["检查"]);
                Assert.Equal(0, c.PerPhrase["wait"]);
            });
    }

    const string Samples =
        "=== step 3 | nums [3, 5, 7] | target 22 | reward 1.00 | format 1 | equation 0\n" +
        "3*5=15, wait 15+7=22</think>\n<answer>3*5+7</answer>\n\n" +
        "=== step 3 | nums [1, 2, 3] | target 6 | reward 2.00 | format 1 | equation 1\n" +
        "1+2+3=6\n\nhmm yes</think>\n<answer>1+2+3</answer>\n\n";

    const string Success =
        "=== step 4 | nums [2, 2, 9] | target 13 | reward 2.00 | format 1 | equation 1\n" +
        "9+2+2=13 等等 ok</think>\n<answer>9+2+2</answer>\n\n";

    [Fact]
    public void Correctness_comes_from_the_header_and_success_entries_are_correct()
    {
        var dir = Directory.CreateTempSubdirectory("aha-run-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "completion_samples"));
            File.WriteAllText(Path.Combine(dir, "completion_samples", "completion_samples.txt"), Samples);
            // The success file's header says equation 0 on purpose: entries of that file count as correct anyway.
            File.WriteAllText(Path.Combine(dir, "completion_samples", "success_completion_samples.txt"),
                Success.Replace("equation 1", "equation 0"));
            var result = AhaExtractor.Extract(AhaExtractor.RunDocuments(new RunFolder(dir)), AhaConfig.Default);

            // "hmm" and 等等 follow a step in a correct completion, so each of those completions is also a recovery.
            Assert.Collection(result.Hits,
                h => Assert.Equal(("completion_samples", 3, "wait", false, "phrase"), (h.Source, h.Step, h.Phrase, h.Correct, h.Kind)),
                h => Assert.Equal(("completion_samples", 3, "hmm", true, "phrase"), (h.Source, h.Step, h.Phrase, h.Correct, h.Kind)),
                h => Assert.Equal(("completion_samples", 3, "hmm", true, "recovery"), (h.Source, h.Step, h.Phrase, h.Correct, h.Kind)),
                h => Assert.Equal(("success_completion_samples", 4, "等等", true, "phrase"), (h.Source, h.Step, h.Phrase, h.Correct, h.Kind)),
                h => Assert.Equal(("success_completion_samples", 4, "等等", true, "recovery"), (h.Source, h.Step, h.Phrase, h.Correct, h.Kind)));
            Assert.All(result.Hits, h => Assert.Null(h.TestId));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Eval_records_are_scanned_with_checkpoint_step_test_id_and_score()
    {
        var dir = Directory.CreateTempSubdirectory("aha-run-").FullName;
        try
        {
            var records = new[]
            {
                new EvalRecord(0, 1, "p", [1, 2, 3], "Wait, 1+2+3=6</think>\n<answer>1+2+3</answer>", 6, 6, 1),
                new EvalRecord(1, 0, "p", [4, 5, 6], "no reflection", null, 7, 0),
            };
            new EvalResult("checkpoint-50", 50, "m", 2, 0.5, 0.5, null, records).Save(Path.Combine(dir, "eval", "checkpoint-50.json"));
            var result = AhaExtractor.Extract(AhaExtractor.RunDocuments(new RunFolder(dir)), AhaConfig.Default);
            var hit = Assert.Single(result.Hits);
            Assert.Equal(("eval/checkpoint-50", 50, "wait", true, (int?)0), (hit.Source, hit.Step, hit.Phrase, hit.Correct, hit.TestId));
            var count = Assert.Single(result.Counts);
            Assert.Equal((2, 1), (count.Completions, count.CompletionsWithHit));

            var jsonl = Path.Combine(dir, "aha.jsonl");
            AhaExtractor.Write(result, jsonl);
            var line = Assert.Single(File.ReadAllLines(jsonl));
            Assert.Contains("\"source\":\"eval/checkpoint-50\"", line);
            Assert.Contains("\"test_id\":0", line);
            Assert.Equal(result.Hits, AhaExtractor.ReadJsonl(jsonl));
            Assert.True(File.Exists(Path.Combine(dir, "aha_counts.json")));
        }
        finally { Directory.Delete(dir, true); }
    }

    static readonly ReasoningMarkers Tiny = ReasoningMarkers.Default with { RejectMarkers = ["no"], AcceptMarkers = ["ok"] };

    [Fact]
    public void A_models_reject_verdict_is_a_phrase_hit_and_a_correct_completion_after_it_a_recovery()
    {
        var docs = new[]
        {
            new AhaDocument("eval/base", 0, "12+5=17 17*3=51 no 12*3=36 36+5=41 ok</think>\n<answer>12*3+5</answer>", true, 0),
            new AhaDocument("eval/base", 0, "12+5=17 17*3=51 no 12*3=36 36+5=41 ok</think>\n<answer>(12+5)*3</answer>", false, 1),
            new AhaDocument("eval/base", 0, "12*3=36 36+5=41 ok</think>\n<answer>12*3+5</answer>", true, 2),
            new AhaDocument("eval/checkpoint-50", 50, "12*3=36 36+5=41 ok</think>\n<answer>12*3+5</answer>", true, 0),
        };
        var result = AhaExtractor.Extract(docs, new AhaConfig(Tiny, ContextChars: 4));
        Assert.Equal(
        [
            ("phrase", "no", 0), ("recovery", "no", 0),   // test 0: rejected 12+5, 17*3, then answered right
            ("phrase", "no", 1),                          // test 1: rejected, but the answer is wrong: no recovery
        ], result.Hits.Select(h => (h.Kind, h.Phrase, h.TestId!.Value)));
        Assert.Equal("=51 no 12*", result.Hits[1].Context);
        Assert.Collection(result.Counts,
            c => Assert.Equal(("eval/base", 3, 2, 1, 100.0 / 3), (c.Source, c.Completions, c.CompletionsWithHit, c.Recoveries, c.RecoveriesPer100)),
            c => Assert.Equal(("eval/checkpoint-50", 1, 0, 0, 0.0), (c.Source, c.Completions, c.CompletionsWithHit, c.Recoveries, c.RecoveriesPer100)));
        Assert.Equal(2, result.Counts[0].PerPhrase["no"]);
    }

    [Fact]
    public void Sampled_generations_of_an_eval_file_are_a_source_of_their_own_with_their_own_scores()
    {
        var record = new EvalRecord(4, 0, "p", [12, 5, 3], "12*3=36 36+5=41 ok</think>\n<answer>12+5</answer>", 17, 41, 1, [1.0, 0],
            ["12+5=17 no 12*3=36 36+5=41 ok</think>\n<answer>12*3+5</answer>", "12+5=17 no</think>\n<answer>12+5</answer>"]);
        var eval = new EvalResult("checkpoint-10", 10, "m", 1, 0, 1, null, [record]);
        var docs = AhaExtractor.FromEval(eval).ToList();
        Assert.Equal([("eval/checkpoint-10", false), ("eval/checkpoint-10/sampled", true), ("eval/checkpoint-10/sampled", false)],
            docs.Select(d => (d.Source, d.Correct)));
        Assert.All(docs, d => Assert.Equal((10, (int?)4), (d.Step, d.TestId)));
        var recoveries = AhaExtractor.Extract(docs, new AhaConfig(Tiny)).Hits.Where(h => h.Kind == AhaExtractor.RecoveryKind);
        Assert.Equal("eval/checkpoint-10/sampled", Assert.Single(recoveries).Source);

        var broken = eval with { Records = [record with { SampledScores = [1.0] }] };
        var e = Assert.Throws<InvalidDataException>(() => AhaExtractor.FromEval(broken).ToList());
        Assert.Contains("record 4 has 2 sampled_generations but 1 sampled_scores", e.Message);
    }

    [Fact]
    public void Aha_lines_written_before_kinds_existed_read_as_phrase_hits()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "{\"source\":\"eval/base\",\"step\":0,\"phrase\":\"wait\",\"context\":\"x wait y\",\"correct\":true,\"test_id\":3}\n");
            Assert.Equal(AhaExtractor.PhraseKind, Assert.Single(AhaExtractor.ReadJsonl(path)).Kind);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Counts_file_has_recoveries_beside_phrase_counts()
    {
        var dir = Directory.CreateTempSubdirectory("aha-counts-").FullName;
        try
        {
            var result = AhaExtractor.Extract([new AhaDocument("eval/base", 0, "1+2=3 no 1+2+3=6 ok</think>\n<answer>1+2+3</answer>", true, 0)],
                new AhaConfig(Tiny));
            AhaExtractor.Write(result, Path.Combine(dir, "aha.jsonl"));
            var row = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "aha_counts.json")))!.AsArray()[0]!;
            Assert.Equal(1, row["recoveries"]!.GetValue<int>());
            Assert.Equal(100.0, row["recoveries_per_100"]!.GetValue<double>());
            Assert.Equal(1, row["per_phrase"]!["no"]!.GetValue<int>());
            Assert.Contains("\"kind\":\"recovery\"", File.ReadAllText(Path.Combine(dir, "aha.jsonl")));
        }
        finally { Directory.Delete(dir, true); }
    }
}
