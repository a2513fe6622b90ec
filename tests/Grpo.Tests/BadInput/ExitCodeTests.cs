// Every user error exits with code 1, including the checks Spectre runs (a required flag missing, a count below its
// range, an unknown flag or command), which exited with 255; and SIGTERM stops a run as Ctrl-C does: after the
// current step, saying where, the checkpoints intact.
using System.Diagnostics;
using Grpo.Countdown;
using Grpo.Training;
using Xunit;

namespace Grpo.Tests.BadInput;

public sealed class ExitCodeTests : IDisposable
{
    readonly Cli cli = new();

    public void Dispose() => cli.Dispose();

    [Theory]
    [InlineData("report")]                                      // Give --run DIR.
    [InlineData("report", "--run", "r", "--samples", "-1")]
    [InlineData("data", "--count", "0")]
    [InlineData("data", "--test-size", "-1")]
    [InlineData("aha")]
    [InlineData("behaviour")]
    [InlineData("eval")]
    [InlineData("generate", "--prompt", "x")]
    [InlineData("tokenize", "--text", "x")]
    [InlineData("score", "--input", "x.jsonl")]
    [InlineData("bench-verifier", "--problems", "0")]
    [InlineData("plan-memory", "--prompt-length", "0")]
    [InlineData("bench-step", "--repetitions", "0")]
    public void Failed_settings_check_is_one_error_line_and_exit_code_1(params string[] args) =>
        cli.AssertCleanError(cli.Run(args));

    [Theory]
    [InlineData("train", "--max-step", "3")]                    // Spectre's own message, pointing at the flag
    [InlineData("no-such-command")]
    public void Unknown_flag_or_command_exits_with_code_1(params string[] args)
    {
        var r = cli.Run(args);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(args[^1] == "3" ? "max-step" : "no-such-command", r.Stdout + r.Stderr);
    }

    [Theory]
    [InlineData(new[] { 5 })]
    [InlineData(new[] { 1, 2 })]
    [InlineData(new[] { 1, 2, 3, 4, 5 })]
    public void Parquet_nums_with_other_than_3_or_4_numbers_are_refused_naming_the_row(int[] nums)
    {
        var file = Path.Combine(cli.WorkDir, "bad.parquet");
        CountdownParquet.Write(file, [new CountdownProblem([1, 2, 3], 6), new CountdownProblem(nums, 5)]);
        var e = Assert.Throws<InvalidDataException>(() => CountdownParquet.Read(file));
        Assert.Contains($"{file}: row 1: nums holds {nums.Length} number", e.Message);
        Assert.Contains("3 or 4", e.Message);
        cli.AssertCleanError(cli.Run("data", "--from", file, "--test-size", "0"), file, "row 1");
    }

    [Fact]
    public async Task Sigterm_stops_training_after_the_current_step_like_ctrl_c()
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = cli.WorkDir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "grpo.dll"));
        // The embedded tiny model, small steps: a checkpoint every step, far more steps than the test waits for.
        foreach (var a in new[] { "train", "--name", "t", "--model", Cli.TinyModel, "--quiet", "--max-steps", "1000", "--save-steps", "1",
                     "--batch-size", "8", "--grad-accum", "1", "--num-generations", "4", "--max-completion-length", "8",
                     "--set", "num_train_problems=32" })
            start.ArgumentList.Add(a);
        start.Environment["NO_COLOR"] = "1";
        start.Environment["OMP_NUM_THREADS"] = "1";
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = new System.Text.StringBuilder();
        for (string? line; (line = process.StandardOutput.ReadLine()) is not null;)
        {
            stdout.AppendLine(line);
            if (line.StartsWith("step 1/", StringComparison.Ordinal)) break;
        }
        Assert.Equal(0, SpecialFiles.Run("kill", "-TERM", process.Id.ToString()));
        stdout.Append(process.StandardOutput.ReadToEnd());
        if (!process.WaitForExit(TimeSpan.FromMinutes(3))) { process.Kill(); Assert.Fail("train did not stop after SIGTERM"); }

        var output = stdout.ToString();
        Assert.True(process.ExitCode == 143, $"exit code {process.ExitCode}\n{output}\n{await stderr}");
        Assert.Contains("SIGTERM: stopping after the current step", output);
        var stopped = System.Text.RegularExpressions.Regex.Match(output, @"Stopped at step (\d+)\.");
        Assert.True(stopped.Success, output);
        int step = int.Parse(stopped.Groups[1].Value);
        var run = new RunFolder(Path.Combine(cli.WorkDir, "runs", "t"));
        Assert.Equal(step, run.LatestCheckpoint()!.Step);   // the step it stopped at is saved, whole
        Assert.Null(Checkpoints.Verify(run.CheckpointDir(step)));
        Assert.False(File.Exists(run.LockPath));
        Assert.Contains("--resume", output);
    }
}
