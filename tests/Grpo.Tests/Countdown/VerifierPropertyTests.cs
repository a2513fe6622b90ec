// Property tests of the verifier: solver solutions always score 1; arbitrary, deeply nested or huge inputs
// never throw and always give a 0/1 score.
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Grpo.Countdown;

namespace Grpo.Tests.Countdown;

public class VerifierPropertyTests
{
    private static bool IsValidResult(EquationResult r) =>
        r.Reward is 0 or 1 && (r.Value is null || double.IsFinite(r.Value.Value));

    private static bool ScoresSafely(string completion, int[] nums, int target)
    {
        double format = CountdownRewards.FormatReward(completion);
        return format is 0 or 1 && IsValidResult(CountdownRewards.EquationReward(completion, nums, target));
    }

    // Problems from both distributions, drawn by seed so FsCheck can shrink to a failing seed.
    private static Arbitrary<CountdownProblem> Problems() =>
        Arb.From(Gen.Choose(0, 1_000_000).SelectMany(seed => Gen.Elements(ProblemDistribution.Full, ProblemDistribution.Easy),
            (seed, d) => ProblemGenerator.Generate(1, seed, d)[0]));

    [Property(MaxTest = 40)]
    public Property Every_solver_solution_scores_one() =>
        Prop.ForAll(Problems(), p =>
            CountdownSolver.Solve(p.Nums, p.Target).All(s =>
            {
                string completion = $"try</think>\n<answer>{s}</answer>";
                return CountdownRewards.FormatReward(completion) == 1
                    && CountdownRewards.EquationReward(completion, p.Nums, p.Target).Reward == 1;
            }));

    [Property(MaxTest = 300)]
    public Property Random_strings_never_throw() =>
        Prop.ForAll(ArbMap.Default.ArbFor<string>(), s => ScoresSafely(s ?? "", [1, 2, 3], 6));

    // Strings made of the verifier's own vocabulary hit the interesting paths far more often than random text.
    private static readonly string[] Pieces =
        ["<think>", "</think>", "<answer>", "</answer>", "\n", " ", "(", ")", "+", "-", "*", "/", "=", ".", "1", "2",
         "3", "0", "99", "<|im_end|>", "<|endoftext|>", "x", "**", "//", "__import__('os')"];

    [Property(MaxTest = 500)]
    public Property Strings_of_verifier_tokens_never_throw() =>
        Prop.ForAll(Arb.From(Gen.ListOf(Gen.Elements(Pieces)).Select(p => string.Concat(p))),
            s => ScoresSafely(s, [1, 2, 3], 6) && ScoresSafely("</think>\n<answer>" + s + "</answer>", [1, 2, 3], 6));

    [Property(MaxTest = 30)]
    public Property Thousands_of_nested_parentheses_return_a_score() =>
        Prop.ForAll(Arb.From(Gen.Choose(1000, 20_000)), depth =>
        {
            string balanced = new string('(', depth) + "1+2+3" + new string(')', depth);
            string unary = string.Concat(Enumerable.Repeat("-(", depth)) + "1+2+3" + new string(')', depth);
            string open = new string('(', depth) + "1+2+3";
            return new[] { balanced, unary, open }.All(e =>
            {
                var r = CountdownRewards.EquationReward($"</think>\n<answer>{e}</answer>", [1, 2, 3], 6);
                return r.Reward == 0 && r.Value is null;
            });
        });

    [Property(MaxTest = 30)]
    public Property Huge_numbers_return_a_score() =>
        Prop.ForAll(Arb.From(Gen.Choose(20, 20_000).SelectMany(digits => Gen.Elements("*", "/", "+", "-"), (d, op) => (d, op))), t =>
        {
            string big = "9" + new string('7', t.d);
            string many = string.Join(t.op, Enumerable.Repeat(big[..Math.Min(big.Length, 250)], 200));
            return ScoresSafely($"</think>\n<answer>{big}{t.op}1</answer>", [1, 2, 3], 6)
                && ScoresSafely($"</think>\n<answer>{many}</answer>", [1, 2, 3], 6);
        });

    [Property(MaxTest = 200)]
    public Property Code_injection_never_scores() =>
        Prop.ForAll(Arb.From(Gen.Elements("__import__('os')", "__import__('os').system('rm -rf /')", "exec('6')",
                "eval('1+2+3')", "open('/etc/passwd').read()", "globals()", "1+2+3;import os", "1+2+3 or os.system('x')",
                "(1).__class__", "().__class__.__bases__[0]")
            .SelectMany(code => Gen.Elements("", "1+2+3 ", "(1+2+3)*"), (code, prefix) => prefix + code)), code =>
        {
            var r = CountdownRewards.EquationReward($"</think>\n<answer>{code}</answer>", [1, 2, 3], 6);
            return r.Reward == 0 && r.Value is null;
        });
}
