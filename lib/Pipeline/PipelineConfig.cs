// Settings of the one-command pipeline (data -> base eval -> GRPO -> checkpoint evals -> aha -> report).
using Grpo.Countdown;
using Grpo.Evaluation;
using Grpo.Files;
using Grpo.Training;

namespace Grpo.Pipeline;

public sealed record PipelineConfig
{
    /// <summary>The GRPO run (preset plus overrides); its output_dir is the run folder.</summary>
    public CountdownRunConfig Run { get; init; } = CountdownRunConfig.Tiny with { Grpo = GrpoConfig.Tiny with { OutputDir = "runs/tiny" } };
    /// <summary>Where the generated train/test Parquet splits live (data/countdown/&lt;distribution&gt;/).</summary>
    public string DataRoot { get; init; } = "data/countdown";
    /// <summary>Held-out problems; null = the test split of the run's distribution.</summary>
    public string? TestFile { get; init; }
    public int EvalProblems { get; init; } = 500;
    /// <summary>Sampled decoding per problem at the run's temperature; 0 = greedy only. Eight samples give pass@8 and a
    /// mean accuracy that estimates the same per-sample rate as a mean of 4 at T=1 with half the variance.</summary>
    public int EvalSamples { get; init; } = 8;
    public int EvalBatchSize { get; init; } = 256;

    public static PipelineConfig ForPreset(string preset, string? runName = null)
    {
        var config = CountdownRunConfig.ByName(preset);
        var run = RunFolder.Named(runName ?? preset, "run name (--name)");
        config = config with { Grpo = config.Grpo with { OutputDir = run.Root } };
        return preset.ToLowerInvariant() switch
        {
            // A 7B model evaluates greedily with 1024-token completions, as the reference tutorial does.
            "qwen2.5-7b" => new PipelineConfig { Run = config, EvalSamples = 0, EvalBatchSize = 32 },
            _ => new PipelineConfig { Run = config },
        };
    }

    public EvalConfig EvalFor(string testFile) => EvalConfig.FromRun(Run.Grpo, Run.Task, new EvalConfig(
        TestFile: testFile, NumProblems: EvalProblems, BatchSize: EvalBatchSize, Samples: EvalSamples, Seed: Run.Grpo.Seed));

    public CountdownDataSpec DataSpec => CountdownDataSpec.ByName(Run.Task.Distribution);

    /// <summary>Checks everything the pipeline will use before its first minute of work: the GRPO and eval settings,
    /// the model folder and the data files given; throws naming the setting or file.</summary>
    public PipelineConfig Validated()
    {
        Run.Validated();
        if (EvalProblems < 0) throw new BadInputException($"eval problems (--eval-problems) must be >= 0 (0 = all), got {EvalProblems}");
        if (EvalSamples < 0) throw new BadInputException($"eval samples (--eval-samples) must be >= 0, got {EvalSamples}");
        if (EvalBatchSize < 1) throw new BadInputException($"eval batch size must be >= 1, got {EvalBatchSize}");
        EvalFor(TestFile ?? "test.parquet").Validate();
        InputPaths.RequireFolder(Run.Grpo.ModelNameOrPath, "model folder (--model)");
        if (Run.Task.TrainFile is { } train) InputPaths.RequireRegularFile(train, "train file (--train-file)");
        if (TestFile is { } test) InputPaths.RequireRegularFile(test, "test file (--test-file)");
        return this;
    }
}
