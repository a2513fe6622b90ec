// One GRPO step of the real Countdown task through CountdownRun (tokenizer, prompts, both rewards, sample files,
// behaviour metrics, checkpoint with tokenizer files) on a random tied Qwen2 with the Qwen3 tokenizer of
// tests/reference/qwen-tokenizer; and the settings only the Countdown task checks.
using System.Text.Json;
using Grpo.Countdown;
using Grpo.Evaluation;
using Grpo.Model;
using Grpo.Pipeline;
using Grpo.Training;
using Xunit;

namespace Grpo.Tests.Pipeline;

public class CountdownRunTests
{
    [Fact]
    public void Countdown_step_writes_config_metrics_samples_and_a_loadable_checkpoint()
    {
        var root = Directory.CreateTempSubdirectory("grpo-countdown").FullName;
        try
        {
            var tokenizerDir = Grpo.Tests.Model.ReferenceTokenizers.Qwen3Dir;
            var modelDir = Path.Combine(root, "model");
            var modelConfig = new Qwen2Config
            {
                VocabSize = 151936, HiddenSize = 16, IntermediateSize = 32, NumHiddenLayers = 1, NumAttentionHeads = 2,
                NumKeyValueHeads = 1, MaxPositionEmbeddings = 1024, TieWordEmbeddings = true,
                BosTokenId = 151643, EosTokenId = [151645, 151643], PadTokenId = 151643,
            };
            using (var m = new Qwen2ForCausalLM(modelConfig))
            {
                m.InitWeights(3);
                m.SavePretrained(modelDir, tokenizerDir);
            }

            var run = Path.Combine(root, "run");
            var config = CountdownRunConfig.Tiny with
            {
                Grpo = GrpoConfig.Tiny with
                {
                    ModelNameOrPath = modelDir, OutputDir = run, MaxSteps = 1, SaveSteps = 1,
                    PerDeviceTrainBatchSize = 4, GradientAccumulationSteps = 1, NumGenerations = 2, MaxCompletionLength = 6,
                    CompletionSampleFraction = 1.0, DropZeroStdGroups = false,
                },
                Task = CountdownTaskConfig.Easy with { NumTrainProblems = 20 },
            };
            using (var trainer = CountdownRun.Create(config))
                trainer.Train();

            // config.json holds both records' fields at the top level and loads back as the same run config
            Assert.Equal(config.ToJson(), CountdownRunConfig.Load(Path.Combine(run, "config.json")).ToJson());
            Assert.Equal(20, JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "config.json"))).RootElement.GetProperty("num_train_problems").GetInt32());
            var metrics = File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).Single();
            foreach (var key in new[] { "reward", "reward_std", "rewards/format_reward/mean", "rewards/equation_reward/mean",
                         "frac_reward_zero_std", "completions/mean_length", "completions/clipped_ratio", "clip_ratio", "entropy",
                         "learning_rate", "loss", "grad_norm", "step_time", "time/generation", "time/reference", "time/update", "tokens_per_second" })
                Assert.True(metrics.TryGetProperty(key, out _), key);
            // the task log's behaviour metrics, every one BehaviourSummary.ToMetrics names (null where undefined)
            var behaviour = BehaviourSummary.Of([]).ToMetrics().Select(kv => kv.Key).ToList();
            Assert.Equal(10, behaviour.Count);
            foreach (var key in behaviour)
                Assert.True(metrics.TryGetProperty(key, out var v) && v.ValueKind is JsonValueKind.Number or JsonValueKind.Null, key);
            Assert.Contains("step 1/1", File.ReadAllText(Path.Combine(run, "logs", "train.log")));

            // every completion was sampled (fraction 1); the evaluation area's parser reads the file back
            var samples = CompletionSamplesFile.Read(Path.Combine(run, "completion_samples", "completion_samples.txt"));
            Assert.Equal(4, samples.Count);
            Assert.All(samples, s => { Assert.Equal(1, s.Step); Assert.Equal(3, s.Nums.Count); Assert.True(s.Target > 0); });
            // the behaviour metrics describe exactly those completions (the model folder has no markers file: defaults)
            var fromSamples = BehaviourSummary.ForStep(samples.Select(s => new StepCompletion(0, new CountdownProblem(s.Nums, s.Target), s.Completion)),
                ReasoningMarkers.Default).ToDictionary();
            foreach (var key in new[] { "behaviour/reflection_rate", "behaviour/attempts_per_completion", "behaviour/recoveries_per_100" })
                Assert.Equal(fromSamples[key], metrics.GetProperty(key).GetDouble());

            var ck = Path.Combine(run, "checkpoints", "checkpoint-1");
            foreach (var f in new[] { "config.json", "model.safetensors", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "trainer_state.json", "optimizer.safetensors" })
                Assert.True(File.Exists(Path.Combine(ck, f)), f);
            using var reloaded = Qwen2ForCausalLM.FromPretrained(ck);
            Assert.True(reloaded.Config.TieWordEmbeddings);
        }
        finally { Directory.Delete(root, true); }
    }

    [Theory]
    [InlineData("distribution", "hard")]
    [InlineData("prompt_template", "french")]
    public void Names_only_the_countdown_task_reads_are_checked_by_it(string field, string value)
    {
        var config = CountdownRunConfig.Overlay(CountdownRunConfig.Tiny, $"{{\"{field}\": \"{value}\"}}", "my.json", validate: false);
        config.Grpo.Validated("my.json");   // the trainer's ranges pass
        var e = Assert.Throws<BadInputException>(() => config.Validated("my.json"));
        Assert.StartsWith("my.json: ", e.Message);
        Assert.Contains(field, e.Message);
        Assert.Contains(value, e.Message);
    }

    [Fact]
    public void Unknown_reward_function_name_is_refused_naming_it()
    {
        var e = Assert.Throws<BadInputException>(() => CountdownRewardFunctions.ByName("length_reward", CountdownRunConfig.Tiny, TokenSpec.Raw([1], 0)));
        Assert.Contains("reward_funcs", e.Message);
        Assert.Contains("length_reward", e.Message);
    }
}

public class CountdownRewardLeverTests
{
    static readonly TokenSpec Tokens = TokenSpec.Raw([9], 0);   // id 9 ends a completion
    static readonly CountdownProblem Problem = new([18, 5, 4], 94);
    const string Solved = "18*5=90 90+4=94 ok</think>\n<answer>18*5+4</answer>";

    static double Score(string name, string text, int[] ids, CountdownRunConfig? config = null) =>
        CountdownRewardFunctions.ByName(name, config ?? CountdownRunConfig.Tiny, Tokens)
            .Score(new RewardInput(new TrainingPrompt([1], Problem), text, ids));

    [Fact]
    public void Terminated_format_reward_pays_only_a_completion_that_ended_on_an_end_token()
    {
        Assert.Equal(1.0, Score("terminated_format_reward", Solved, [4, 5, 9]));
        Assert.Equal(0.0, Score("terminated_format_reward", Solved, [4, 5, 6]));   // cut at the budget just after </answer>
        Assert.Equal(1.0, Score("format_reward", Solved, [4, 5, 6]));              // the reference's reward reads the text only
    }

    [Fact]
    public void Verified_equation_reward_is_wired_by_name() =>
        Assert.Equal(0.0, Score("verified_equation_reward", "18*5=91 91+4=94 ok</think>\n<answer>18*5+4</answer>", [9]));

    [Fact]
    public void Soft_overlong_punishment_uses_the_runs_completion_budget_and_cache()
    {
        var config = CountdownRunConfig.Tiny with
        {
            Grpo = CountdownRunConfig.Tiny.Grpo with { MaxCompletionLength = 40 },
            Task = CountdownRunConfig.Tiny.Task with { SoftPunishCache = 10 },
        };
        Assert.Equal(0.0, Score("soft_overlong_punishment", Solved, new int[30], config));
        Assert.Equal(-0.5, Score("soft_overlong_punishment", Solved, new int[35], config), 12);
        Assert.Equal(-1.0, Score("soft_overlong_punishment", Solved, new int[40], config), 12);
    }

    [Fact]
    public void The_default_rewards_are_the_reference_tutorials_two() =>
        Assert.Equal(["format_reward", "equation_reward"], new CountdownTaskConfig().RewardFuncs);
}
