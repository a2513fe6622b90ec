// The README's main job, shortened: a toy tiny model built by the same builder, then the whole pipeline for a few
// steps; every artifact of the run folder (README.md, GRPO training) must exist and be well-formed.
using System.Text.Json;
using System.Text.Json.Nodes;
using Grpo.Countdown;
using Grpo.Evaluation;
using Grpo.Model;
using Grpo.Pipeline;
using Grpo.Tiny;
using Grpo.Training;
using Xunit;

namespace Grpo.Tests.Pipeline;

public sealed class PipelineEndToEndTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("grpo-pipeline-test").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void Shortened_pipeline_writes_every_artifact_of_the_run_folder()
    {
        var modelDir = Path.Combine(root, "model");
        TinyModelBuilder.Build(modelDir, TinyModelSpec.Smoke, heldOut: []);
        var runDir = Path.Combine(root, "runs", "smoke");
        var config = new PipelineConfig
        {
            DataRoot = Path.Combine(root, "data"),
            EvalProblems = 6, EvalSamples = 2, EvalBatchSize = 16,
            Run = CountdownRunConfig.Tiny with
            {
                Grpo = GrpoConfig.Tiny with
                {
                    ModelNameOrPath = modelDir, OutputDir = runDir, MaxSteps = 4, SaveSteps = 2, MaxCompletionLength = 12,
                    NumGenerations = 4, PerDeviceTrainBatchSize = 8, GradientAccumulationSteps = 1, CompletionSampleFraction = 1.0,
                },
            },
        };
        var stages = new List<string>();
        var summary = PipelineRunner.Run(config, new RecordingObserver(stages));

        Assert.Equal(["data", "base model", "grpo", "checkpoints", "aha", "report"], stages);
        Assert.True(File.Exists(Path.Combine(root, "data", "easy", "train.parquet")));
        Assert.Equal(4, File.ReadAllLines(Path.Combine(runDir, "metrics.jsonl")).Length);
        Assert.Equal(4, CountdownRunConfig.Load(Path.Combine(runDir, "config.json")).Grpo.MaxSteps);
        Assert.Contains("step", File.ReadAllText(Path.Combine(runDir, "logs", "train.log")));
        Assert.NotEmpty(CompletionSamplesFile.Read(Path.Combine(runDir, "completion_samples", "completion_samples.txt")));

        foreach (var step in new[] { 2, 4 })
        {
            var ckpt = Path.Combine(runDir, "checkpoints", $"checkpoint-{step}");
            foreach (var file in new[] { "config.json", "model.safetensors", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "trainer_state.json" })
                Assert.True(File.Exists(Path.Combine(ckpt, file)), $"{ckpt} lacks {file}");
            using var reloaded = Qwen2ForCausalLM.FromPretrained(ckpt);   // a checkpoint is a loadable model folder
        }

        Assert.Equal(["base", "checkpoint-2", "checkpoint-4"], summary.Evals.Select(e => e.Checkpoint));
        foreach (var name in new[] { "base", "checkpoint-2", "checkpoint-4" })
        {
            var eval = EvalResult.Load(Path.Combine(runDir, "eval", name + ".json"));
            Assert.Equal(6, eval.Records.Count);
            Assert.Equal(eval.Records.Average(r => r.Score), eval.Accuracy, 9);
            Assert.Equal(2, eval.Sampled!.K);
            Assert.All(eval.Records, r => Assert.Equal(2, r.SampledScores!.Count));
        }
        var raw = JsonNode.Parse(File.ReadAllText(Path.Combine(runDir, "eval", "base.json")))!["records"]![0]!.AsObject();
        foreach (var field in new[] { "test_id", "score", "prompt", "nums", "generation", "gen_calculation", "target" })
            Assert.True(raw.ContainsKey(field), $"eval record lacks {field}");

        Assert.True(File.Exists(Path.Combine(runDir, "aha.jsonl")));
        var html = File.ReadAllText(summary.ReportPath);
        Assert.Contains("<html", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotMatch("<script[^>]+src=\"https?://", html);   // self-contained: Plotly is embedded, no CDN
    }

    [Fact]
    public void Rerunning_a_finished_pipeline_resumes_instead_of_starting_over()
    {
        var modelDir = Path.Combine(root, "model");
        TinyModelBuilder.Build(modelDir, TinyModelSpec.Smoke, heldOut: []);
        var config = new PipelineConfig
        {
            DataRoot = Path.Combine(root, "data"), EvalProblems = 2, EvalSamples = 0, EvalBatchSize = 4,
            Run = CountdownRunConfig.Tiny with
            {
                Grpo = GrpoConfig.Tiny with
                {
                    ModelNameOrPath = modelDir, OutputDir = Path.Combine(root, "runs", "again"), MaxSteps = 2, SaveSteps = 2,
                    MaxCompletionLength = 8, NumGenerations = 2, PerDeviceTrainBatchSize = 4, GradientAccumulationSteps = 1,
                },
            },
        };
        PipelineRunner.Run(config);
        var metrics = File.ReadAllLines(Path.Combine(config.Run.Grpo.OutputDir, "metrics.jsonl"));
        PipelineRunner.Run(config);
        Assert.Equal(metrics, File.ReadAllLines(Path.Combine(config.Run.Grpo.OutputDir, "metrics.jsonl")));
    }

    sealed class RecordingObserver(List<string> stages) : IPipelineObserver
    {
        public void Stage(string name, string detail) => stages.Add(name);
        public void Eval(EvalProgress progress) { }
        public void Train(GrpoProgress progress) { }
    }
}
