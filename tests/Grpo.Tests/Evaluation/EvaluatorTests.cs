// The evaluator's batching, ordering, sampling and summaries, driven by a scripted text generator (no model).
using Grpo.Countdown;
using Grpo.Evaluation;
using Grpo.Model;
using Xunit;

namespace Grpo.Tests.Evaluation;

public class EvaluatorTests
{
    // Problem i: nums [i+1, 2, 3], target i+6 (so "i+1 + 2 + 3" is the answer).
    static readonly CountdownProblem[] Problems = Enumerable.Range(0, 7).Select(i => new CountdownProblem([i + 1, 2, 3], i + 6)).ToArray();

    static string Answer(string equation) => $"calc</think>\n<answer>{equation}</answer>";

    /// <summary>Answers correctly for problems whose first number is odd (greedy) and records every call. Reply gets
    /// the problem's first number, the options and the row's random stream.</summary>
    sealed class ScriptedGenerator
    {
        public readonly List<(string[] Prompts, GenerationOptions Options, long[] Streams)> Calls = [];
        public Func<int, GenerationOptions, long, string> Reply = (first, o, _) => first % 2 == 1 ? Answer($"{first} + 2 + 3") : Answer("1 + 1");

        public IReadOnlyList<string> Generate(IReadOnlyList<string> prompts, GenerationOptions options, IReadOnlyList<long> streams)
        {
            Calls.Add((prompts.ToArray(), options, streams.ToArray()));
            return prompts.Select((p, j) => Reply(FirstNumber(p), options, streams[j])).ToList();
        }

        // The English template prints nums like [3, 2, 3].
        static int FirstNumber(string prompt)
        {
            int open = prompt.IndexOf('[', prompt.IndexOf("numbers", StringComparison.Ordinal));
            return int.Parse(prompt[(open + 1)..prompt.IndexOf(',', open)]);
        }
    }

    static readonly EvalConfig Config = new(BatchSize: 3, MaxNewTokens: 50, Template: "english");

    [Fact]
    public void Greedy_batches_keep_test_order_and_accuracy_is_the_mean_of_scores()
    {
        var gen = new ScriptedGenerator();
        var result = Evaluator.Evaluate(Problems, Config, gen.Generate, "checkpoint-5", 5, "dir");

        Assert.Equal([3, 3, 1], gen.Calls.Select(c => c.Prompts.Length));
        Assert.All(gen.Calls, c => Assert.True(c.Options.Greedy));
        Assert.All(gen.Calls, c => Assert.Equal(50, c.Options.MaxNewTokens));
        Assert.Equal(Enumerable.Range(0, 7), result.Records.Select(r => r.TestId));
        Assert.Equal(Problems.Select(p => p.Target), result.Records.Select(r => r.Target));
        // Odd first numbers are i = 0, 2, 4, 6 -> 4 of 7 correct.
        Assert.Equal([1.0, 0, 1, 0, 1, 0, 1], result.Records.Select(r => r.Score));
        Assert.Equal(4.0 / 7, result.Accuracy, 12);
        Assert.Equal(result.Records.Average(r => r.Score), result.Accuracy);
        Assert.Equal(1.0, result.FormatRate);
        Assert.Null(result.Sampled);
        Assert.Equal(("checkpoint-5", 5, "dir", 7), (result.Checkpoint, result.Step, result.ModelDir, result.NumProblems));
        Assert.Equal(PromptTemplate.English.Render(Problems[3]), result.Records[3].Prompt);
    }

    [Fact]
    public void Sampled_rows_fill_every_batch_and_sample_j_of_problem_i_draws_stream_i_k_plus_j_of_one_seed()
    {
        // Sample j of a problem is correct when j < 2 -> every problem has 2 of 4 correct.
        var gen = new ScriptedGenerator();
        gen.Reply = (first, o, stream) => o.Greedy ? Answer("0") : stream % 4 < 2 ? Answer($"{first} + 2 + 3") : Answer("1");
        var config = Config with { BatchSize = 6, Samples = 4, Temperature = 0.7f, TopP = 0.9f, Seed = 100 };
        var result = Evaluator.Evaluate(Problems, config, gen.Generate);

        var sampledCalls = gen.Calls.Where(c => !c.Options.Greedy).ToList();
        // 7 problems x 4 samples = 28 rows in batches of 6: a problem's samples may straddle two batches.
        Assert.Equal([6, 6, 6, 6, 4], sampledCalls.Select(c => c.Prompts.Length));
        Assert.All(sampledCalls, c => Assert.Equal(100L, c.Options.Seed));
        Assert.Equal(Enumerable.Range(0, 28).Select(i => (long)i), sampledCalls.SelectMany(c => c.Streams));
        var prompts = sampledCalls.SelectMany(c => c.Prompts).ToList();
        Assert.All(Enumerable.Range(0, 28), r => Assert.Equal(PromptTemplate.English.Render(Problems[r / 4]), prompts[r]));
        Assert.All(sampledCalls, c => Assert.Equal((0.7f, 0.9f), (c.Options.Temperature, c.Options.TopP)));
        Assert.All(result.Records, r => Assert.Equal([1.0, 1, 0, 0], r.SampledScores!));
        Assert.Equal((4, 0.5, 1.0), (result.Sampled!.K, result.Sampled.MeanAccuracy, result.Sampled.PassAtK));
        Assert.Equal(0.0, result.Accuracy);
    }

    [Fact]
    public void Behaviour_of_greedy_and_sampled_completions_is_stored_with_the_sampled_texts()
    {
        // Greedy: a rejected attempt, then the right answer (a recovery) for every problem. Samples: j = 0 the same,
        // j = 1 a wrong answer without any marker. Problem i: nums [i+1, 2, 3], target i+6.
        var markers = ReasoningMarkers.Default with { RejectMarkers = ["no"], AcceptMarkers = ["ok"] };
        string Recovery(int first) => $"{first}*2=0 no {first}+2=5 5+3=8 ok</think>\n<answer>{first} + 2 + 3</answer>";
        var gen = new ScriptedGenerator();
        gen.Reply = (first, o, stream) => o.Greedy || stream % 2 == 0 ? Recovery(first) : Answer("1 + 1");
        var config = Config with { BatchSize = 4, Samples = 2 };
        var result = Evaluator.Evaluate(Problems, config, gen.Generate, markers: markers, tokenCount: text => 10);

        Assert.All(result.Records, r => Assert.Equal(2, r.SampledGenerations!.Count));
        Assert.All(result.Records, r => Assert.Equal([1.0, 0], r.SampledScores!));
        var b = result.Behaviour!;
        Assert.Same(markers, b.Markers);
        // Greedy: 7 recoveries of 7. 7 texts x 3 steps = 21 steps; right are the seven "5+3=8" and "first+2=5" for
        // first = 3 only (problem 2); "first*2=0" is never right.
        Assert.Equal((7, 7, 100.0), (b.Greedy!.Completions, b.Greedy.Recoveries, b.Greedy.RecoveriesPer100));
        Assert.Equal(21, b.Greedy.ArithmeticSteps);
        Assert.Equal((1 + 7) / 21.0, b.Greedy.FaithfulSteps);
        Assert.Equal("tokens", b.Greedy.LengthUnit);
        // Sampled: 14 completions of 7 problems, half of them recoveries; every problem has a reflecting sample.
        Assert.Equal((14, 7, 7, 50.0), (b.Sampled!.Completions, b.Sampled.Problems, b.Sampled.Recoveries, b.Sampled.RecoveriesPer100));
        Assert.Equal(0.5, b.Sampled.ReflectionRate);
        Assert.Equal(1.0, b.Sampled.ReflectionRateProblems);

        // The file keeps all of it, and a file written before (no behaviour, no sampled texts) still loads.
        var dir = Directory.CreateTempSubdirectory("eval-behaviour-").FullName;
        try
        {
            var path = Path.Combine(dir, "checkpoint-5.json");
            result.Save(path);
            var loaded = EvalResult.Load(path);
            Assert.Equal(b.Greedy, loaded.Behaviour!.Greedy);
            Assert.Equal(b.Sampled, loaded.Behaviour.Sampled);
            Assert.Equal(["no"], loaded.Behaviour.Markers.RejectMarkers);
            Assert.Equal(result.Records[3].SampledGenerations, loaded.Records[3].SampledGenerations);

            var old = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            old.Remove("behaviour");
            foreach (var r in old["records"]!.AsArray()) r!.AsObject().Remove("sampled_generations");
            File.WriteAllText(path, old.ToJsonString());
            var legacy = EvalResult.Load(path);
            Assert.Null(legacy.Behaviour);
            Assert.Null(legacy.Records[0].SampledGenerations);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Without_greedy_decoding_there_is_no_greedy_behaviour()
    {
        var result = Evaluator.Evaluate(Problems, Config with { Greedy = false, Samples = 2 }, new ScriptedGenerator().Generate);
        Assert.Null(result.Behaviour!.Greedy);
        Assert.Equal(14, result.Behaviour.Sampled!.Completions);
        Assert.Equal("characters", result.Behaviour.Sampled.LengthUnit);
    }

    [Fact]
    public void Progress_reports_each_batch_and_ends_at_the_total()
    {
        var reports = new List<EvalProgress>();
        Evaluator.Evaluate(Problems, Config, new ScriptedGenerator().Generate, progress: new SyncProgress<EvalProgress>(reports.Add));
        Assert.Equal([3, 6, 7], reports.Select(r => r.Done));
        Assert.All(reports, r => Assert.Equal(("greedy", 7), (r.Phase, r.Total)));
    }

    [Fact]
    public void Nothing_to_generate_is_rejected()
    {
        var e = Assert.Throws<BadInputException>(() => Evaluator.Evaluate(Problems, Config with { Greedy = false }, new ScriptedGenerator().Generate));
        Assert.Contains("greedy decoding is off", e.Message);
    }
}
