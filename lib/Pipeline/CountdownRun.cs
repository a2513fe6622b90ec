// The Countdown task on the GRPO trainer (which knows no task): training prompts (train_file, or problems generated
// from the seed, rendered with the prompt template), the two rewards of docs/countdown-rules.md, and the task log
// (completion samples, behaviour/* metrics). What `train`, `pipeline` and notebook 03 call to train on Countdown.
using Grpo.Countdown;
using Grpo.Files;
using Grpo.Model;
using Grpo.Training;

namespace Grpo.Pipeline;

public static class CountdownRun
{
    /// <summary>A trainer for <paramref name="config"/>'s Countdown run; resume and warn as in <see cref="GrpoRun.Create"/>.</summary>
    public static GrpoTrainer Create(GrpoConfig config, bool resume = false, Action<string>? warn = null)
    {
        Validated(config);
        return GrpoRun.Create(config, () => Task(config), resume, warn);
    }

    /// <summary>The config's ranges (GrpoConfig.Validated) and the names only this task reads: distribution and
    /// prompt_template. Throws naming <paramref name="source"/> and the field; returns the config.</summary>
    public static GrpoConfig Validated(GrpoConfig config, string source = "GRPO config")
    {
        config.Validated(source);
        void Require(bool ok, string message) { if (!ok) throw new BadInputException($"{source}: {message}"); }
        Require(ProblemDistribution.All.Any(d => d.Name.Equals(config.Distribution, StringComparison.OrdinalIgnoreCase)),
            $"distribution must be easy or full (got '{config.Distribution}')");
        Require(PromptTemplate.All.Any(t => t.Name.Equals(config.PromptTemplate, StringComparison.OrdinalIgnoreCase)),
            $"prompt_template must be chinese or english (got '{config.PromptTemplate}')");
        return config;
    }

    /// <summary>Prompts, rewards (reward_funcs by name), the model folder's end/pad tokens and the task log.</summary>
    public static GrpoTask Task(GrpoConfig config)
    {
        var rewards = config.RewardFuncs.Select(CountdownRewardFunctions.ByName).ToList();
        var tokenizer = QwenTokenizer.FromFolder(config.ModelNameOrPath);
        var log = new CountdownTaskLog(new RunFolder(config.OutputDir), config.Seed, config.CompletionSampleFraction,
            ReasoningMarkers.ForModel(config.ModelNameOrPath));
        return new GrpoTask(Prompts(config, tokenizer), rewards, TokenSpec.FromModel(config.ModelNameOrPath, tokenizer), log);
    }

    /// <summary>The training problems (train_file, or generated from the seed) rendered with the prompt template, each
    /// with its problem as the prompt's example.</summary>
    public static IReadOnlyList<TrainingPrompt> Prompts(GrpoConfig config, QwenTokenizer tokenizer)
    {
        if (config.TrainFile is { } file) InputPaths.RequireRegularFile(file, "train_file");
        var problems = config.TrainFile is { } f
            ? CountdownParquet.Read(f)
            : ProblemGenerator.Generate(config.NumTrainProblems, config.Seed, ProblemDistribution.ByName(config.Distribution));
        var template = PromptTemplate.ByName(config.PromptTemplate);
        return problems.Select(p => new TrainingPrompt(tokenizer.Encode(template.Render(p)).ToArray(), p)).ToList();
    }
}

/// <summary>The Countdown reward functions of docs/countdown-rules.md, by the names reward_funcs uses.</summary>
public static class CountdownRewardFunctions
{
    public static RewardFunction Format { get; } = new("format_reward", x => CountdownRewards.FormatReward(x.Completion));

    public static RewardFunction Equation { get; } = new("equation_reward", x =>
        x.Prompt.Example is CountdownProblem p ? CountdownRewards.EquationReward(x.Completion, p.Nums, p.Target).Reward
            : throw new InvalidOperationException("equation_reward needs a Countdown problem behind the prompt"));

    public static RewardFunction ByName(string name) => name switch
    {
        "format_reward" => Format,
        "equation_reward" => Equation,
        _ => throw new BadInputException($"reward_funcs: unknown reward function '{name}'; known: format_reward, equation_reward"),
    };
}
