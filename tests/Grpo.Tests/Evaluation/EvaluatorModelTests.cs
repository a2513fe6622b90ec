// The evaluator end to end on the reference qwen2-tiny weights (random, so it cannot solve Countdown): record
// structure, counts, greedy determinism and batch invariance, summaries, and a run folder with two checkpoints.
using Grpo.Countdown;
using Grpo.Evaluation;
using Grpo.Training;
using Xunit;

namespace Grpo.Tests.Evaluation;

public sealed class EvaluatorModelTests : IDisposable
{
    readonly TinyModelFolder model = new();
    readonly string work = Directory.CreateTempSubdirectory("eval-model-").FullName;
    readonly CountdownProblem[] problems =
        [new([44, 19, 35], 98), new([3, 5, 7], 22), new([1, 2, 3, 4], 10), new([90, 8, 2], 47)];

    public void Dispose() { model.Dispose(); Directory.Delete(work, true); }

    EvalConfig Config()
    {
        var test = Path.Combine(work, "test.parquet");
        if (!File.Exists(test)) CountdownParquet.Write(test, problems);
        return new EvalConfig(TestFile: test, NumProblems: 4, BatchSize: 3, MaxNewTokens: 8, Template: "english");
    }

    [Fact]
    public void Records_hold_every_field_and_summaries_are_means_of_the_records()
    {
        var config = Config() with { Samples = 2, Temperature = 1f };
        var result = Evaluator.EvaluateModel(model.Dir, config, "base", 0);

        Assert.Equal(4, result.NumProblems);
        Assert.Equal(4, result.Records.Count);
        for (int i = 0; i < 4; i++)
        {
            var r = result.Records[i];
            Assert.Equal(i, r.TestId);
            Assert.Equal(problems[i].Nums, r.Nums);
            Assert.Equal(problems[i].Target, r.Target);
            Assert.Equal(PromptTemplate.English.Render(problems[i]), r.Prompt);
            Assert.NotNull(r.Generation);
            Assert.Equal(2, r.SampledScores!.Count);
            Assert.InRange(r.Score, 0, 1);
        }
        Assert.Equal(result.Records.Average(r => r.Score), result.Accuracy);
        Assert.Equal(result.Records.Average(r => r.FormatReward), result.FormatRate);
        Assert.Equal(result.Records.SelectMany(r => r.SampledScores!).Average(), result.Sampled!.MeanAccuracy);
        Assert.Equal(2, result.Sampled.K);
        Assert.Equal(config.TestFile, result.TestFile);
        // A random 320-token model does not write Countdown answers.
        Assert.Equal(0, result.Accuracy);
    }

    [Fact]
    public void Greedy_generations_repeat_and_do_not_depend_on_the_batch_size()
    {
        var a = Evaluator.EvaluateModel(model.Dir, Config(), "base", 0);
        var b = Evaluator.EvaluateModel(model.Dir, Config(), "base", 0);
        var single = Evaluator.EvaluateModel(model.Dir, Config() with { BatchSize = 1 }, "base", 0);
        Assert.Equal(a.Records.Select(r => r.Generation), b.Records.Select(r => r.Generation));
        Assert.Equal(a.Records.Select(r => r.Generation), single.Records.Select(r => r.Generation));
        Assert.Contains(a.Records, r => r.Generation.Length > 0);
    }

    [Fact]
    public void Sampled_generations_repeat_for_a_seed_whatever_the_batch_size()
    {
        var config = Config() with { Greedy = false, Samples = 3, Temperature = 1f, Seed = 5 };
        var a = Evaluator.EvaluateModel(model.Dir, config, "base", 0);
        var single = Evaluator.EvaluateModel(model.Dir, config with { BatchSize = 1 }, "base", 0);
        var wide = Evaluator.EvaluateModel(model.Dir, config with { BatchSize = 12 }, "base", 0);
        var reseeded = Evaluator.EvaluateModel(model.Dir, config with { Seed = 6 }, "base", 0);
        Assert.Equal(a.Records.Select(r => r.SampledGenerations), single.Records.Select(r => r.SampledGenerations));
        Assert.Equal(a.Records.Select(r => r.SampledGenerations), wide.Records.Select(r => r.SampledGenerations));
        Assert.NotEqual(a.Records.SelectMany(r => r.SampledGenerations!), reseeded.Records.SelectMany(r => r.SampledGenerations!));
    }

    [Fact]
    public void A_run_evaluates_base_and_checkpoints_into_eval_files_and_skips_existing_ones()
    {
        var run = Path.Combine(work, "runs", "r");
        var ckpt = Path.Combine(run, "checkpoints", "checkpoint-2");
        Directory.CreateDirectory(ckpt);
        foreach (var f in Directory.GetFiles(model.Dir)) File.Copy(f, Path.Combine(ckpt, Path.GetFileName(f)));
        new TrainerState { GlobalStep = 2 }.Save(ckpt);   // what makes a checkpoint complete (RunFolder.IsComplete)
        (GrpoConfig.Tiny with { ModelNameOrPath = model.Dir, MaxCompletionLength = 6 })
            .Save(Path.Combine(run, "config.json"), new CountdownTaskConfig { PromptTemplate = "english" }.ToJsonObject());
        var config = EvalConfig.FromRun(new RunFolder(run), Config() with { NumProblems = 2 })!;
        Assert.Equal((6, "english", 2), (config.MaxNewTokens, config.Template, config.NumProblems));

        var first = Evaluator.EvaluateRun(new RunFolder(run), config);
        Assert.Equal(["base", "checkpoint-2"], first.Select(x => x.Checkpoint.Name));
        Assert.All(first, x => Assert.False(x.Skipped));
        var baseFile = EvalResult.Load(Path.Combine(run, "eval", "base.json"));
        var ckptFile = EvalResult.Load(Path.Combine(run, "eval", "checkpoint-2.json"));
        Assert.Equal((0, 2), (baseFile.Step, ckptFile.Step));
        // Same weights in both folders -> same greedy generations.
        Assert.Equal(baseFile.Records.Select(r => r.Generation), ckptFile.Records.Select(r => r.Generation));

        var again = Evaluator.EvaluateRun(new RunFolder(run), config);
        Assert.All(again, x => Assert.True(x.Skipped));
        var forced = Evaluator.EvaluateRun(new RunFolder(run), config, force: true);
        Assert.All(forced, x => Assert.False(x.Skipped));

        // A second test set goes to its own folder and leaves eval/ (what reports read) as it was.
        var before = File.ReadAllText(Path.Combine(run, "eval", "base.json"));
        var other = Evaluator.EvaluateRun(new RunFolder(run), config with { NumProblems = 1 }, evalDir: "eval-other");
        Assert.All(other, x => Assert.False(x.Skipped));
        Assert.Equal(1, EvalResult.Load(Path.Combine(run, "eval-other", "checkpoint-2.json")).NumProblems);
        Assert.Equal(before, File.ReadAllText(Path.Combine(run, "eval", "base.json")));
    }
}
