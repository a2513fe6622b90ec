// Notebook 02's and 04's evaluation cells as single calls: the base model's eval written into the run folder, and the
// base model and every checkpoint of one or more runs (eval files already there are reused).
using Grpo.Evaluation;
using Grpo.Reports;
using Grpo.Training;

namespace Grpo.Notebook;

public static class NotebookEval
{
    /// <summary>Evaluates <paramref name="modelDir"/> as the run's base model and writes eval/base.json into
    /// <paramref name="run"/>, where 04 compares every checkpoint with it. <paramref name="status"/> shows progress.</summary>
    public static EvalResult Base(string modelDir, RunFolder run, EvalConfig config, Action<string> status)
    {
        var result = Evaluator.EvaluateModel(modelDir, config, "base", 0, EvalStatus.To(status));
        result.Save(run.EvalPath("base"));
        status($"done: {result.NumProblems} problems");
        return result;
    }

    /// <summary>Evaluates the base model and every checkpoint of each run with the run's own decoding (prompt
    /// template, completion length, temperature, dtype, device from its config.json) and the problems and sizes of
    /// <paramref name="basis"/>; the first run's base model is <paramref name="baseModelDir"/>, the others' the one their
    /// config.json names. Returns the runs side by side (the first is the one the notebook is about).</summary>
    public static IReadOnlyList<ComparedRun> Runs(IReadOnlyList<RunFolder> runs, string baseModelDir, EvalConfig basis, Action<string> status)
    {
        for (int i = 0; i < runs.Count; i++)
        {
            var config = EvalConfig.FromRun(runs[i], basis)
                ?? throw new BadInputException($"No config.json in {runs[i].Root}: train it first (notebook 03 or the train command)");
            Evaluator.EvaluateRun(runs[i], config, i == 0 ? baseModelDir : null, progress: EvalStatus.To(status));
        }
        status($"done: {runs.Count} run{(runs.Count == 1 ? "" : "s")} evaluated");
        return RunComparison.Of(runs);
    }
}
