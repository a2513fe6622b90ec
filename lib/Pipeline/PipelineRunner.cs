// The README's main job as one library call, so the CLI and the notebooks run exactly the same steps:
// prepare data -> evaluate the base model -> GRPO with checkpoints -> evaluate each checkpoint -> aha moments -> report.
using System.Diagnostics;
using Grpo.Countdown;
using Grpo.Evaluation;
using Grpo.Reports;
using Grpo.Training;

namespace Grpo.Pipeline;

/// <summary>What the pipeline tells its caller while it runs (progress bars, live charts).</summary>
public interface IPipelineObserver
{
    void Stage(string name, string detail);
    void Eval(EvalProgress progress);
    void Train(GrpoProgress progress);
}

public sealed record PipelineSummary(RunFolder Run, IReadOnlyList<EvalResult> Evals, int AhaHits, string ReportPath, double Minutes);

public static class PipelineRunner
{
    public static PipelineSummary Run(PipelineConfig config, IPipelineObserver? observer = null, CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        config.Validated();
        var run = config.Run.Grpo.Run;
        // One process per run folder for the whole pipeline (the trainer takes the same lock again inside it).
        using var runLock = RunLock.Acquire(run, note => observer?.Stage("run lock", note));

        var data = CountdownData.Ensure(config.DataRoot, config.DataSpec);
        var runConfig = config.Run with { Task = config.Run.Task with { TrainFile = config.Run.Task.TrainFile ?? data.TrainFile } };
        var grpo = runConfig.Grpo;
        var testFile = config.TestFile ?? data.TestFile;
        observer?.Stage("data", $"train {runConfig.Task.TrainFile}, test {testFile}");

        var eval = config.EvalFor(testFile);
        var evalProgress = new SyncProgress<EvalProgress>(p => observer?.Eval(p));
        observer?.Stage("base model", $"evaluating {grpo.ModelNameOrPath} (and checkpoints a resumed run already has) on {config.EvalProblems} problems");
        // A fresh run has no checkpoints yet, so this evaluates the base model only.
        Evaluator.EvaluateRun(run, eval, grpo.ModelNameOrPath, progress: evalProgress, ct: ct);

        observer?.Stage("grpo", $"{CountdownRun.Inspect(runConfig, resume: true).Describe()}, checkpoint every {grpo.SaveSteps} steps");
        // A rerun continues from the last complete checkpoint (a killed run loses at most save_steps steps).
        using (var trainer = CountdownRun.Create(runConfig, resume: true))
            trainer.Train(new SyncProgress<GrpoProgress>(p => observer?.Train(p)), ct);

        observer?.Stage("checkpoints", "evaluating every checkpoint");
        var evals = Evaluator.EvaluateRun(run, eval, grpo.ModelNameOrPath, progress: evalProgress, ct: ct)
            .Select(r => r.Result).ToList();

        observer?.Stage("aha", "searching completions for aha moments");
        var aha = AhaExtractor.Extract(AhaExtractor.RunDocuments(run), new AhaConfig(RunCheckpoints.Markers(run, grpo.ModelNameOrPath)));
        AhaExtractor.Write(aha, run.AhaPath);

        observer?.Stage("report", "writing report.html");
        var report = RunReport.Write(run);
        return new PipelineSummary(run, evals, aha.Hits.Count, report, clock.Elapsed.TotalMinutes);
    }
}
