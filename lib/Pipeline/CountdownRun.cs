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
    public static GrpoTrainer Create(CountdownRunConfig config, bool resume = false, Action<string>? warn = null)
    {
        config.Validated();
        return GrpoRun.Create(config.Grpo, () => Task(config), resume, warn);
    }

    /// <summary>What starting <paramref name="config"/> will do with its run folder (RunStart.Inspect with the task's
    /// settings, so that a resume with other task settings is refused too).</summary>
    public static RunStart Inspect(CountdownRunConfig config, bool resume) =>
        RunStart.Inspect(config.Grpo, resume, config.Task.ToJsonObject());

    /// <summary>Prompts, rewards (reward_funcs by name), the model folder's end/pad tokens, the task log and the task's
    /// settings for config.json.</summary>
    public static GrpoTask Task(CountdownRunConfig config)
    {
        var grpo = config.Grpo;
        var tokenizer = QwenTokenizer.FromFolder(grpo.ModelNameOrPath);
        var log = new CountdownTaskLog(grpo.Run, grpo.Seed, grpo.CompletionSampleFraction,
            ReasoningMarkers.ForModel(grpo.ModelNameOrPath));
        return new GrpoTask(Prompts(config.Task, grpo.Seed, tokenizer), Rewards(config.Task),
            TokenSpec.FromModel(grpo.ModelNameOrPath, tokenizer), log, config.Task.ToJsonObject());
    }

    public static IReadOnlyList<RewardFunction> Rewards(CountdownTaskConfig task) =>
        task.RewardFuncs.Select(CountdownRewardFunctions.ByName).ToList();

    /// <summary>The training problems (train_file, or generated from <paramref name="seed"/>) rendered with the prompt
    /// template, each with its problem as the prompt's example.</summary>
    public static IReadOnlyList<TrainingPrompt> Prompts(CountdownTaskConfig task, int seed, QwenTokenizer tokenizer)
    {
        if (task.TrainFile is { } file) InputPaths.RequireRegularFile(file, "train_file");
        var problems = task.TrainFile is { } f
            ? CountdownParquet.Read(f)
            : ProblemGenerator.Generate(task.NumTrainProblems, seed, ProblemDistribution.ByName(task.Distribution));
        if (problems.Count == 0) throw new BadInputException($"train_file {task.TrainFile} holds no problems");
        var template = PromptTemplate.ByName(task.PromptTemplate);
        return problems.Select(p => new TrainingPrompt(tokenizer.Encode(template.Render(p)).ToArray(), p)).ToList();
    }
}

/// <summary>The Countdown reward functions of docs/countdown-rules.md, by the names reward_funcs uses.</summary>
public static class CountdownRewardFunctions
{
    public static RewardFunction Format { get; } = new(CountdownRewards.FormatRewardName, x => CountdownRewards.FormatReward(x.Completion));

    public static RewardFunction Equation { get; } = new(CountdownRewards.EquationRewardName, x =>
        x.Prompt.Example is CountdownProblem p ? CountdownRewards.EquationReward(x.Completion, p.Nums, p.Target).Reward
            : throw new InvalidOperationException("equation_reward needs a Countdown problem behind the prompt"));

    public static RewardFunction ByName(string name) =>
        new[] { Format, Equation }.FirstOrDefault(f => f.Name == name) ?? throw new BadInputException(
            $"reward_funcs: unknown reward function '{name}'; known: {string.Join(", ", CountdownRewards.RewardNames)}");
}
