// The notebook helpers that need no model: the live training view and the data steps.
using Grpo.Countdown;
using Grpo.Notebook;
using Grpo.Training;
using Plotly.NET;
using Xunit;

namespace Grpo.Tests.Notebook;

public sealed class NotebookHelpersTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("grpo-notebook-helpers-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    static GrpoProgress Step(int step, double reward, string? saved = null) => new(step, 3,
        [new("reward", reward), new("rewards/equation_reward/mean", reward / 2), new("completions/mean_length", 40 + step)], saved);

    [Fact]
    public void Live_training_view_redraws_every_n_steps_and_on_the_last_and_reports_each_step()
    {
        var charts = new List<GenericChart>();
        var status = new List<string>();
        var view = new LiveTraining(charts.Add, status.Add, every: 2);
        view.Report(Step(1, 0.5));
        view.Report(Step(2, 1.0, "/runs/x/checkpoints/checkpoint-2"));
        view.Report(Step(3, 1.5));
        Assert.Equal(2, charts.Count);                  // after step 2 (every 2) and step 3 (the last)
        Assert.Equal(3, status.Count);
        Assert.StartsWith("step 2/3  reward 1  accuracy 0.5  length 42", status[1]);
        Assert.EndsWith("saved checkpoint-2", status[1]);
        Assert.Equal([1, 2, 3], view.Rows.Select(r => r.Step));
        Assert.Contains("\"x\":[1,2,3]", GenericChart.toChartHTML(charts[^1]));
    }

    [Fact]
    public void Ensure_test_file_writes_the_seeded_split_once_and_keeps_an_existing_file()
    {
        var testFile = Path.Combine(dir, "data", "test.parquet");
        Assert.Contains("written now", NotebookData.EnsureTestFile(testFile, 60, 20, 7, "easy"));
        var written = CountdownParquet.Read(testFile);
        Assert.Equal(20, written.Count);
        Assert.Equal(40, CountdownParquet.Read(Path.Combine(dir, "data", "train.parquet")).Count);
        // The same split as DatasetSplit with the same seed over the same generated problems.
        var expected = DatasetSplit.Split(ProblemGenerator.Generate(60, 7, ProblemDistribution.Easy), 20, 7).Test;
        Assert.Equal(expected.Select(p => (string.Join(",", p.Nums), p.Target)), written.Select(p => (string.Join(",", p.Nums), p.Target)));

        var before = File.GetLastWriteTimeUtc(testFile);
        Assert.Equal($"test set: {testFile}", NotebookData.EnsureTestFile(testFile, 60, 20, 99, "full"));
        Assert.Equal(before, File.GetLastWriteTimeUtc(testFile));
    }

    [Fact]
    public void Load_or_generate_prefers_real_parquet_files()
    {
        var real = Path.Combine(dir, "real");
        Directory.CreateDirectory(real);
        Assert.StartsWith("generated", NotebookData.LoadOrGenerate(real, 5, 1, "full").Source);
        CountdownParquet.Write(Path.Combine(real, "part-0.parquet"), [new CountdownProblem([1, 2, 3], 6)]);
        var set = NotebookData.LoadOrGenerate(real, 5, 1, "full");
        Assert.Equal("read from part-0.parquet", set.Source);
        Assert.Equal(6, Assert.Single(set.Problems).Target);
    }
}
