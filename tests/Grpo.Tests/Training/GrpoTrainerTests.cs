// GRPO trainer end to end on shared/reference/qwen2-tiny (ids 0..299 ordinary, eos 301, pad 302) with a synthetic
// reward, resume equality, atomic checkpoints, LoRA with a KL reference, and checkpoints that load back.
using System.Text.Json;
using Grpo.Model;
using Grpo.Training;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Grpo.Tests.Training;

public class GrpoTrainerTests(ITestOutputHelper output)
{
    static string TinyDir => Path.Combine(TestPaths.SharedReference, "qwen2-tiny");
    // The synthetic reward pays for this token: the one the base model samples most often after the prompts
    // (computed once with the model's own generator, so the reward starts low but not at zero).
    static readonly int Chosen = MostSampledToken();

    static int MostSampledToken()
    {
        using var model = Qwen2ForCausalLM.FromPretrained(TinyDir);
        var seqs = Grpo.Model.Generator.Generate(model, SyntheticPrompts(64, 1).Select(p => p.Ids).ToList(),
            new GenerationOptions(8, Seed: 1), [301], 302);
        return seqs.SelectMany(s => s.Ids).Where(t => t < 300).GroupBy(t => t).OrderByDescending(g => g.Count()).First().Key;
    }

    static IReadOnlyList<TrainingPrompt> SyntheticPrompts(int count, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count)
            .Select(_ => new TrainingPrompt(Enumerable.Range(0, rng.Next(3, 7)).Select(_ => rng.Next(0, 300)).ToArray()))
            .ToList();
    }

    /// <summary>Share of the chosen token among the generated tokens (end token excluded).</summary>
    static readonly RewardFunction ShareOfChosen = new("chosen_share", x =>
    {
        var body = x.CompletionIds.Where(t => t != 301).ToList();
        return body.Count == 0 ? 0 : body.Count(t => t == Chosen) / (double)body.Count;
    });

    static GrpoConfig Config(string dir, int maxSteps, int saveSteps) => GrpoConfig.Tiny with
    {
        ModelNameOrPath = TinyDir, OutputDir = dir, MaxSteps = maxSteps, SaveSteps = saveSteps, Seed = 7,
        PerDeviceTrainBatchSize = 16, GradientAccumulationSteps = 2, NumGenerations = 8, MaxCompletionLength = 8,
        LearningRate = 3e-3, LrSchedulerType = "constant", WarmupRatio = 0, Beta = 0, DropZeroStdGroups = false,
        RewardFuncs = ["chosen_share"], CompletionSampleFraction = 0.25,
    };

    static GrpoTrainer Create(GrpoConfig c, bool resume = false) =>
        GrpoRun.Create(c, resume, SyntheticPrompts(64, 1), [ShareOfChosen], TokenSpec.Raw([301], 302));

    static List<JsonElement> Metrics(string runDir) =>
        File.ReadAllLines(Path.Combine(runDir, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();

    static string TempRun(string name) => Path.Combine(Directory.CreateTempSubdirectory("grpo-" + name).FullName, "run");

    [Fact]
    public void Mean_reward_rises_with_a_synthetic_reward()
    {
        var dir = TempRun("rise");
        try
        {
            using (var trainer = Create(Config(dir, 20, 100)))
                trainer.Train();
            var rewards = Metrics(dir).Select(m => m.GetProperty("reward").GetDouble()).ToList();
            output.WriteLine(string.Join(" ", rewards.Select(r => r.ToString("F3"))));
            foreach (var line in File.ReadAllLines(Path.Combine(dir, "logs", "train.log")).Take(6)) output.WriteLine(line);
            Assert.Equal(20, rewards.Count);
            double first = rewards.Take(4).Average(), last = rewards.TakeLast(4).Average();
            Assert.True(last > first + 0.2, $"reward first 4 steps {first:F3}, last 4 steps {last:F3}");
        }
        finally { Directory.Delete(Path.GetDirectoryName(dir)!, true); }
    }
}
