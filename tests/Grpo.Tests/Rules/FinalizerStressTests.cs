// The dynamic side of the held-Scalar rule: the project's native-heavy paths (generation greedy and sampled, an
// evaluation, SFT steps, GRPO steps with and without beta, with LoRA) on the embedded tiny model while another thread
// collects garbage and runs finalizers nonstop. A Scalar that nothing holds would be freed under libtorch's feet.
using Grpo.Countdown;
using Grpo.Evaluation;
using Grpo.Model;
using Grpo.Tiny;
using Grpo.Training;
using Grpo.Training.Sft;
using Xunit;
using Xunit.Abstractions;

namespace Grpo.Tests.Rules;

/// <summary>Loops GC.Collect(1); GC.WaitForPendingFinalizers(); on its own thread until disposed. Generations 0 and 1
/// hold every temporary Scalar (they die microseconds after they are made); skipping generation 2 makes a collection
/// cheap, so thousands run per second. Measured with a planted temporary in Qwen2RMSNorm: caught 8 of 8 runs with
/// GC.Collect(1), 3 of 3 with GC.Collect(0), 2 of 3 with a full GC.Collect(), which also ran the test 2x slower.</summary>
public sealed class NonstopGarbageCollector : IDisposable
{
    readonly Thread thread;
    volatile bool stopping;

    public int Collections { get; private set; }

    public NonstopGarbageCollector()
    {
        thread = new Thread(() =>
        {
            while (!stopping)
            {
                GC.Collect(1);
                GC.WaitForPendingFinalizers();
                Collections++;
            }
        }) { IsBackground = true, Name = "nonstop GC" };
        thread.Start();
    }

    public void Dispose()
    {
        stopping = true;
        thread.Join();
    }
}

/// <summary>Runs alone: the nonstop collector suspends every managed thread of the process thousands of times a second.</summary>
[CollectionDefinition(nameof(FinalizerStressTests), DisableParallelization = true)]
public sealed class FinalizerStressCollection;

[Collection(nameof(FinalizerStressTests))]
public sealed class FinalizerStressTests(ITestOutputHelper output) : IDisposable
{
    static string ModelDir => Path.Combine(TestPaths.RepoRoot, "data", "models", "countdown-tiny");
    static string TestFile => Path.Combine(TestPaths.RepoRoot, "data", "countdown", "easy", "test.parquet");
    readonly string root = Directory.CreateTempSubdirectory("grpo-finalizer-stress").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void Generation_evaluation_SFT_and_GRPO_survive_a_thread_that_collects_garbage_nonstop()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var tokenizer = QwenTokenizer.FromFolder(ModelDir);
        var problems = CountdownParquet.Read(TestFile).Take(4).ToList();
        var prompts = problems.Select(p => tokenizer.Encode(PromptTemplate.Chinese.Render(p)).ToArray()).ToList();
        var eos = tokenizer.EosTokenIds;
        int collectionsAtStart;

        using (var collector = new NonstopGarbageCollector())
        {
            collectionsAtStart = collector.Collections;
            void Phase(string name, Action run)
            {
                var before = (Time: clock.Elapsed, collector.Collections);
                run();
                output.WriteLine($"{name}: {(clock.Elapsed - before.Time).TotalSeconds:F1} s, {collector.Collections - before.Collections} collections");
            }

            Phase("generation", () =>
            {
                using var model = Qwen2ForCausalLM.FromPretrained(ModelDir);
                var greedy = Generator.Generate(model, prompts, new GenerationOptions(32, Greedy: true), eos, tokenizer.PadTokenId);
                var sampled = Generator.Generate(model, prompts, new GenerationOptions(32, Temperature: 0.9f, TopP: 0.9f, TopK: 50, Seed: 1),
                    eos, tokenizer.PadTokenId);
                Assert.All(greedy.Concat(sampled), s => Assert.NotEmpty(s.Ids));
            });

            Phase("evaluation", () =>
            {
                var config = new EvalConfig(TestFile, NumProblems: 4, BatchSize: 8, MaxNewTokens: 32, Samples: 2);
                var result = Evaluator.EvaluateModel(ModelDir, config, "stress", 0);
                Assert.Equal(4, result.Records.Count);
            });

            Phase("sft", () =>
            {
                using var model = Qwen2ForCausalLM.FromPretrained(ModelDir);
                var traces = ColdStartTraces.Make(problems, seed: 3);
                var examples = traces.Select((t, i) => new SftExample(prompts[i], [.. tokenizer.Encode(t.Completion), eos[0]])).ToList();
                double loss = SupervisedTrainer.Train(model, examples,
                    new SftConfig { BatchSize = 1, MaxSteps = 16, WarmupSteps = 1, LearningRate = 1e-4, LogEvery = 8 }, tokenizer.PadTokenId);
                Assert.True(double.IsFinite(loss));
            });

            foreach (var (name, lora, beta, iterations) in new[] { ("grpo", false, 0.0, 1), ("grpo lora beta", true, 0.04, 1), ("grpo beta 2 iterations", false, 0.04, 2) })
                Phase(name, () =>
                {
                    var config = GrpoConfig.Tiny with
                    {
                        ModelNameOrPath = ModelDir, OutputDir = Path.Combine(root, name.Replace(' ', '-')),
                        MaxSteps = iterations, SaveSteps = iterations, PerDeviceTrainBatchSize = 4, GradientAccumulationSteps = 2, NumGenerations = 4,
                        MaxCompletionLength = 16, DropZeroStdGroups = false, UsePeft = lora, LoraR = 4, LoraAlpha = 8,
                        Beta = beta, NumIterations = iterations,
                    };
                    using var trainer = Grpo.Pipeline.CountdownRun.Create(new Grpo.Pipeline.CountdownRunConfig
                        { Grpo = config, Task = Grpo.Countdown.CountdownTaskConfig.Easy with { NumTrainProblems = 16 } });
                    trainer.Train();
                    Assert.Equal(iterations, trainer.GlobalStep);   // one generation batch
                });

            Assert.True(collector.Collections - collectionsAtStart > 100,
                $"only {collector.Collections - collectionsAtStart} collections ran during the test; the stress did not happen");
            output.WriteLine($"total: {clock.Elapsed.TotalSeconds:F1} s, {collector.Collections - collectionsAtStart} collections");
        }
    }
}
