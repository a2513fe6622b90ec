// The command line as a user meets it: a mistyped flag is an error naming it, every option has a help text, and
// Ctrl-C during training stops after the step, says where, and a rerun says it resumes (and from which step).
using System.ComponentModel;
using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using Grpo.Cli.Commands;
using Spectre.Console.Cli;
using Xunit;

namespace Grpo.Tests.Cli;

public sealed class CommandLineTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("grpo-cli-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    /// <summary>cli/bin/&lt;configuration&gt;/net10.0/grpo.dll (Grpo.Tests references cli/, so it is built first).</summary>
    static string Cli => Path.Combine(TestPaths.RepoRoot, "cli", "bin",
        new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name, "net10.0", "grpo.dll");

    /// <summary>The CLI, run from the repository root (where the tiny model's default path points).</summary>
    static Process Start(params string[] args) => Start(new Dictionary<string, string>(), args);

    static Process Start(Dictionary<string, string> environment, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = TestPaths.RepoRoot,
        };
        psi.ArgumentList.Add(Cli);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["OMP_NUM_THREADS"] = "1";
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["COLUMNS"] = "200";
        foreach (var (name, value) in environment) psi.Environment[name] = value;
        return Process.Start(psi)!;
    }

    static (int Code, string Output) Run(params string[] args) => Run(new Dictionary<string, string>(), args);

    static (int Code, string Output) Run(Dictionary<string, string> environment, params string[] args)
    {
        using var p = Start(environment, args);
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(3)), $"grpo {string.Join(' ', args)} did not finish");
        return (p.ExitCode, stdout + stderr.Result);
    }

    [Fact]
    public void Bench_times_the_tiny_presets_grpo_step_and_evaluation_and_prints_them_as_json()
    {
        var (code, output) = Run("bench", "--parts", "tiny", "--steps", "1", "--eval-problems", "2", "--eval-samples", "1");
        Assert.True(code == 0, output);
        var lines = output.Split('\n').Where(l => l.StartsWith('{')).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToList();
        var step = lines.Single(l => l.TryGetProperty("GenerationSeconds", out _));
        Assert.Equal(1, step.GetProperty("Steps").GetInt32());
        foreach (var name in new[] { "StepSeconds", "GenerationSeconds", "UpdateSeconds", "CompletionTokens", "GenerationGflops" })
            Assert.True(step.GetProperty(name).GetDouble() > 0, name);
        var eval = lines.Single(l => l.TryGetProperty("Problems", out _));
        Assert.Equal((2, 1), (eval.GetProperty("Problems").GetInt32(), eval.GetProperty("Samples").GetInt32()));
        Assert.True(eval.GetProperty("GeneratedTokens").GetInt64() > 0);
        var peak = lines.Single(l => l.TryGetProperty("MatmulPeak", out _));
        Assert.Equal("float32", peak.GetProperty("MatmulPeak").GetString());
        Assert.Contains("% of", output);
    }

    [Fact]
    public void Bench_of_one_model_part_prints_its_timing_and_the_part_left_out_as_NaN()
    {
        var (code, output) = Run("bench", "--parts", "model", "--model", "tests/reference/qwen2-tiny", "--dtype", "float32",
            "--model-part", "generate", "--prompts", "2", "--prompt-length", "4", "--new-tokens", "2");
        Assert.True(code == 0, output);
        var result = output.Split('\n').Where(l => l.StartsWith('{')).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement)
            .Single(l => l.TryGetProperty("GenerateTokensPerSecond", out _));
        Assert.True(result.GetProperty("GenerateTokensPerSecond").GetDouble() > 0);
        Assert.Equal("NaN", result.GetProperty("TrainTokensPerSecond").GetString());
    }

    [Fact]
    public void Bench_takes_its_yardstick_from_a_fresh_process_with_the_same_threads_and_prints_this_process_reading_beside_it()
    {
        // The environment asks for two threads, --threads for one: a fresh process that did not get --threads would run on two.
        var (code, output) = Run(new Dictionary<string, string> { ["OMP_NUM_THREADS"] = "2" }, "bench", "--parts", "model", "--threads", "1",
            "--model", "tests/reference/qwen2-tiny", "--dtype", "float32", "--model-part", "generate", "--prompts", "1",
            "--prompt-length", "2", "--new-tokens", "1");
        Assert.True(code == 0, output);
        Assert.Contains("matmul peak in a fresh process: grpo bench --parts peak --peak-dtypes float32 --device cpu --threads 1", output);
        var peak = output.Split('\n').Where(l => l.StartsWith('{')).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement)
            .Single(l => l.TryGetProperty("MatmulPeak", out _));
        Assert.Equal("float32", peak.GetProperty("MatmulPeak").GetString());
        Assert.Equal((1, 1), (peak.GetProperty("Threads").GetInt32(), peak.GetProperty("InProcessThreads").GetInt32()));
        Assert.True(peak.GetProperty("Gflops").GetDouble() > 0 && peak.GetProperty("InProcessGflops").GetDouble() > 0, peak.ToString());
        Assert.Contains("share of fresh-process peak", output);
    }

    [Theory]
    [InlineData("max-step", "pipeline", "--max-step", "10")]
    [InlineData("nme", "train", "--nme", "x")]
    [InlineData("modle", "eval", "--modle", "data/models/countdown-tiny")]
    [InlineData("seeed", "data", "--seeed", "1")]
    public void A_mistyped_flag_is_an_error_naming_it_and_nothing_runs(string flag, params string[] args)
    {
        var (code, output) = Run(args);
        Assert.NotEqual(0, code);
        Assert.Contains($"Unknown option '{flag}'", output);
        Assert.DoesNotContain("data:", output);      // the pipeline's first stage never started
        Assert.DoesNotContain("   at ", output);     // no stack trace
    }

    [Fact]
    public void Every_option_of_every_command_has_a_help_description()
    {
        var settings = typeof(PipelineCommand).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(CommandSettings))).ToList();
        Assert.Contains(typeof(PipelineCommand.Settings), settings);
        var missing = settings.SelectMany(t => t.GetProperties()
                .Where(p => p.GetCustomAttribute<CommandOptionAttribute>() is not null
                            && string.IsNullOrWhiteSpace(p.GetCustomAttribute<DescriptionAttribute>()?.Description))
                .Select(p => $"{t.DeclaringType?.Name ?? t.Name} {p.GetCustomAttribute<CommandOptionAttribute>()!.LongNames.FirstOrDefault()}"))
            .ToList();
        Assert.True(missing.Count == 0, "options without a description: " + string.Join(", ", missing));
    }

    [DllImport("libc", EntryPoint = "kill")]
    static extern int Kill(int pid, int signal);

    /// <summary>True when this process ignores SIGINT (bit 2 of /proc/self/status SigIgn): a non-interactive shell does
    /// that to a command it starts with `&`, and the CLI started from here inherits it, so no Ctrl-C can reach it.</summary>
    static bool SigintIgnored() =>
        File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:")) is { } line
        && (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & 0b10) != 0;

    [SkippableFact]
    public async Task Ctrl_C_stops_training_after_the_step_and_a_rerun_resumes_from_the_last_checkpoint()
    {
        Skip.If(SigintIgnored(), "SIGINT is ignored in this test process (started in the background by a shell), and the CLI would inherit that: run the tests in the foreground to check Ctrl-C");
        var run = Path.Combine(dir, "run");
        string[] train = ["train", "--run-dir", run, "--save-steps", "2", "--batch-size", "8", "--grad-accum", "1",
                          "--num-generations", "4", "--max-completion-length", "16", "--set", "num_train_problems=200", "--quiet"];
        string output;
        int code;
        using (var p = Start([.. train, "--max-steps", "40"]))
        {
            var stderr = p.StandardError.ReadToEndAsync();
            var lines = new List<string>();
            while (p.StandardOutput.ReadLine() is { } line)
            {
                lines.Add(line);
                if (line.StartsWith("step 3/40")) Assert.Equal(0, Kill(p.Id, 2));   // SIGINT, as Ctrl-C sends
            }
            Assert.True(p.WaitForExit(TimeSpan.FromMinutes(3)));
            output = string.Join("\n", lines) + await stderr;
            code = p.ExitCode;
        }
        Assert.Contains("starting " + run + " at step 0 of 40", output);
        Assert.True(code == 130, $"exit code {code}, expected 130:\n{output}");
        Assert.Contains("Ctrl-C: stopping after the current step", output);
        var stopped = System.Text.RegularExpressions.Regex.Match(output, @"Stopped at step (\d+)\.");
        Assert.True(stopped.Success, output);
        int step = int.Parse(stopped.Groups[1].Value), checkpoint = step / 2 * 2;
        Assert.InRange(step, 3, 39);   // it finished the step it was in, not the whole run
        Assert.Contains($"resuming {run} from checkpoint-{checkpoint} at step {checkpoint} of 40", output);

        var (rerunCode, rerun) = Run([.. train, "--resume", "--max-steps", (checkpoint + 1).ToString()]);
        Assert.True(rerunCode == 0, rerun);
        Assert.Contains($"resuming {run} from checkpoint-{checkpoint} at step {checkpoint} of {checkpoint + 1}", rerun);

        var (doneCode, done) = Run([.. train, "--resume", "--max-steps", (checkpoint + 1).ToString()]);
        Assert.True(doneCode == 0, done);
        Assert.Contains($"{run} is finished (step {checkpoint + 1} of {checkpoint + 1}", done);
    }
}
