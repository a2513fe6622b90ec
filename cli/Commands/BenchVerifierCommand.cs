// `bench-verifier`: single-thread throughput of the Countdown rewards, the generator and the solver.
using System.ComponentModel;
using System.Diagnostics;
using Grpo.Countdown;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Grpo.Cli.Commands;

public sealed class BenchVerifierCommand : Command<BenchVerifierCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--problems <N>"), Description("Problems to build completions from (4 completions each).")]
        [DefaultValue(2000)] public int Problems { get; init; }

        [CommandOption("--seconds <S>"), Description("Minimum time per measurement.")]
        [DefaultValue(2.0)] public double Seconds { get; init; }

        public override ValidationResult Validate() =>
            Problems is < 1 or > ProblemGenerator.MaxCount ? ValidationResult.Error($"--problems must be 1 to {ProblemGenerator.MaxCount}, got {Problems}")
            : !(double.IsFinite(Seconds) && Seconds > 0) ? ValidationResult.Error($"--seconds must be a number > 0, got {Seconds}")
            : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var problems = ProblemGenerator.Generate(settings.Problems, 1, ProblemDistribution.Full);
        var items = problems.SelectMany(Completions).ToArray();
        double avgChars = items.Average(i => i.Completion.Length);

        var table = new Table().AddColumns("measurement", "rate (per CPU second, one thread)", "detail");
        double verifier = Rate(settings.Seconds, items.Length, () =>
        {
            double sum = 0;
            foreach (var (completion, p) in items)
                sum += CountdownRewards.FormatReward(completion) + CountdownRewards.EquationReward(completion, p.Nums, p.Target).Reward;
            return sum;
        });
        table.AddRow("verifier (format + equation)", $"{verifier:N0} completions/s",
            $"{items.Length} completions, mean {avgChars:N0} chars: 1/4 correct, 1/4 wrong value, 1/4 bad format, 1/4 noise");
        foreach (var d in ProblemDistribution.All)
            table.AddRow($"generator {d.Name}", $"{Rate(settings.Seconds, 500, () => ProblemGenerator.Generate(500, 7, d).Count):N0} problems/s", "500 problems per call");
        var four = problems.Where(p => p.Nums.Count == 4).Take(100).ToArray();
        table.AddRow("solver, all solutions, 4 numbers", $"{Rate(settings.Seconds, four.Length, () => four.Sum(p => CountdownSolver.Solve(p.Nums, p.Target).Count)):N0} problems/s", $"{four.Length} problems from the full distribution");
        AnsiConsole.Write(table);
        return 0;
    }

    // Runs work until at least `seconds` have passed (after one warm-up call). Returns units per second of this
    // process's CPU time, which on a shared machine measures one core's throughput better than wall time.
    private static double Rate(double seconds, int unitsPerCall, Func<double> work)
    {
        work();
        long calls = 0;
        var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpuStart = process.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        do { work(); calls++; } while (watch.Elapsed.TotalSeconds < seconds);
        process.Refresh();
        double cpu = (process.TotalProcessorTime - cpuStart).TotalSeconds;
        return calls * unitsPerCall / Math.Max(cpu, 1e-9);
    }

    // Four completions per problem, shaped like a model's: a correct solution, a wrong value, a broken format, noise.
    private static IEnumerable<(string Completion, CountdownProblem Problem)> Completions(CountdownProblem p, int index)
    {
        string solution = CountdownSolver.Solve(p.Nums, p.Target)[0];
        string thinking = $" 我们需要用{p.NumsText}得到{p.Target}。先试试加法: {string.Join("+", p.Nums)}={p.Nums.Sum()}, 不对。再试试别的组合 ";
        yield return (thinking + $"</think>\n<answer>{solution}</answer><|im_end|>", p);
        yield return (thinking + $"</think>\n<answer>{string.Join(" + ", p.Nums)}</answer><|im_end|>", p);
        yield return (thinking + $"\n<answer>{solution}</answer> 完成", p);
        var rng = new Random(index);
        yield return (new string(Enumerable.Range(0, thinking.Length).Select(_ => (char)rng.Next(32, 127)).ToArray()), p);
    }
}
