// The behaviour table of a run's eval files: base first, greedy then sampled, recomputed from the stored texts (so
// other markers change the numbers without generating), and the `behaviour` command that prints it.
using System.Diagnostics;
using Grpo.Countdown;
using Grpo.Evaluation;
using Grpo.Training;
using Xunit;

namespace Grpo.Tests.Evaluation;

public class BehaviourTableTests
{
    const string Recovery = "12+5=17 no 12*3=36 36+5=41 ok</think>\n<answer>12*3+5</answer>";
    const string Straight = "12*3=36 36+5=41 ok</think>\n<answer>12*3+5</answer>";

    static EvalResult Eval(string checkpoint, int step, string greedy, params string[] sampled) =>
        new(checkpoint, step, "no-such-model", 1, 1, 1, null,
            [new EvalRecord(0, 1, "p", [12, 5, 3], greedy, 41, 41, 1, sampled.Length == 0 ? null : sampled.Select(_ => 1.0).ToArray(),
                sampled.Length == 0 ? null : sampled)]);

    static string MakeRun(params EvalResult[] evals)
    {
        var run = Directory.CreateTempSubdirectory("behaviour-run-").FullName;
        foreach (var e in evals) e.Save(new RunFolder(run).EvalPath(e.Checkpoint));
        return run;
    }

    [Fact]
    public void Base_comes_first_and_greedy_rows_precede_sampled_rows()
    {
        var run = MakeRun(Eval("checkpoint-100", 100, Straight, Straight, Straight), Eval("base", 0, Recovery, Recovery, Straight),
            Eval("checkpoint-50", 50, Straight));
        try
        {
            var rows = BehaviourTable.Rows(BehaviourTable.RunEvals(new RunFolder(run)), ReasoningMarkers.Default with { RejectMarkers = ["no"] });
            Assert.Equal([("greedy", "base"), ("greedy", "checkpoint-50"), ("greedy", "checkpoint-100"), ("sampled", "base"), ("sampled", "checkpoint-100")],
                rows.Select(r => (r.Decoding, r.Checkpoint)));
            // base greedy recovers (1 of 1), base sampled 1 of 2; checkpoints never reject an attempt.
            Assert.Equal([100.0, 0, 0, 50, 0], rows.Select(r => r.Summary.RecoveriesPer100!.Value));
        }
        finally { Directory.Delete(run, true); }
    }

    [Fact]
    public void Numbers_are_recomputed_with_the_markers_given_not_read_from_the_file()
    {
        var run = MakeRun(Eval("base", 0, Recovery));
        try
        {
            var evals = BehaviourTable.RunEvals(new RunFolder(run));
            Assert.Equal(0.0, BehaviourTable.Rows(evals, ReasoningMarkers.Default).Single().Summary.RecoveriesPer100);   // "no" is no marker here
            Assert.Equal(100.0, BehaviourTable.Rows(evals, ReasoningMarkers.Default with { RejectMarkers = ["no"] }).Single().Summary.RecoveriesPer100);
        }
        finally { Directory.Delete(run, true); }
    }

    static (int Code, string Out) RunCli(params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "grpo.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.Result);
    }

    [Fact]
    public void Behaviour_command_prints_base_and_checkpoints_and_names_a_missing_eval_folder()
    {
        var run = MakeRun(Eval("base", 0, Recovery), Eval("checkpoint-50", 50, Straight));
        try
        {
            var markers = Path.Combine(run, "markers.json");
            File.WriteAllText(markers, "{\"reject_markers\": [\"no\"], \"accept_markers\": [\"ok\"]}");
            var (code, output) = RunCli("behaviour", "--run", run, "--markers", markers);
            Assert.True(code == 0, output);
            Assert.Contains("base", output);
            Assert.Contains("step 50", output);
            Assert.Contains("100.0", output);   // the base model's recoveries per 100
            Assert.Contains("lengths in characters", output);

            var (failed, message) = RunCli("behaviour", "--run", run, "--eval-dir", "eval-missing");
            Assert.Equal(1, failed);
            Assert.Contains("eval-missing", message);
            Assert.DoesNotContain("   at ", message);
        }
        finally { Directory.Delete(run, true); }
    }
}
