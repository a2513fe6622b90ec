// The tiny model's card states how it was made from the build's own numbers, sloppy endings included.
using Grpo.Evaluation;
using Grpo.Tiny;
using Xunit;

namespace Grpo.Tests.Tiny;

public class ModelCardTests
{
    static readonly EvalResult Easy = new("base", 0, "m", 500, 0.404, 0.992, new SampledSummary(8, 1.0, 1.0, 0.219, 0.704), []);

    static TinyBuildResult Build(int sloppy) => new("m", 1_712_768, 713, 58_275, sloppy, 0.2689, 26.4, 89.2, 43.2, ExamplesWithFailedAttempts: 34_994);

    [Fact]
    public void Card_reports_the_build_the_command_and_the_measured_accuracy()
    {
        var card = ModelCard.Render(TinyModelSpec.Default, Build(17_435), [("easy (default)", Easy)],
            "dotnet run --project cli -c Release -- build-tiny --threads 2", torchThreads: 2);
        Assert.Contains("1,712,768 parameters", card);
        Assert.Contains("final loss 0.269", card);
        Assert.Contains("`dotnet run --project cli -c Release -- build-tiny --threads 2`", card);
        Assert.Contains("2 torch thread(s)", card);
        Assert.Contains("17,435 traces (29.9 %", card);
        Assert.Contains("| easy (default) | 500 | 40.4 % | 21.9 % | 70.4 % | 8 | 99.2 % |", card);
    }

    [Fact]
    public void Card_of_a_build_without_sloppy_endings_does_not_mention_them()
    {
        var card = ModelCard.Render(TinyModelSpec.Default with { SloppyAnswerRate = 0 }, Build(0), [("easy (default)", Easy)], "c", 1);
        Assert.DoesNotContain("sloppy", card);
    }

    [Fact]
    public void Card_says_when_greedy_decoding_loops_and_not_otherwise()
    {
        var looping = Easy with { FormatRate = 0.722 };
        var card = ModelCard.Render(TinyModelSpec.Default, Build(0), [("easy (default)", looping)], "c", 1);
        Assert.Contains("repeats a rejected attempt until the completion is cut off, so its format rate on easy (default) is 72.2 %", card);
        Assert.DoesNotContain("repeats a rejected attempt", ModelCard.Render(TinyModelSpec.Default, Build(0), [("easy (default)", Easy)], "c", 1));
    }

    [Fact]
    public void Card_describes_the_trace_style_the_spec_built_and_points_to_how_it_was_chosen()
    {
        var search = ModelCard.Render(TinyModelSpec.Default with { Traces = "search", SearchStrategies = ["systematic", "random"] },
            Build(0), [("easy (default)", Easy)], "c", 1);
        Assert.Contains("search trace", search);
        Assert.Contains("strategies systematic, random;", search);
        Assert.Contains("34,994 of the traces reject at least one attempt", search);
        Assert.DoesNotContain("0, 1 or 2 genuine failed attempts", search);
        Assert.Contains("docs/recipe.md", search);

        var attempts = ModelCard.Render(TinyModelSpec.Default with { Traces = "attempts" }, Build(0), [("easy (default)", Easy)], "c", 1);
        Assert.Contains("0, 1 or 2 genuine failed attempts", attempts);
        Assert.DoesNotContain("search trace", attempts);
    }
}
