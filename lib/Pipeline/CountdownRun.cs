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
        var tokens = TokenSpec.FromModel(grpo.ModelNameOrPath, tokenizer);
        var problems = Problems(config.Task, grpo.Seed);
        if (config.Task.CompetenceBand is not null)
            problems = CompetenceFilter.Apply(problems, config, CompetenceFilter.CacheDirFor(config.Task.TrainFile, grpo.Run.Root),
                line => { grpo.Run.Create(); new RunLog(grpo.Run).Info(line); });
        return new GrpoTask(Prompts(problems, config.Task, tokenizer), Rewards(config, tokens), tokens, log, config.Task.ToJsonObject());
    }

    /// <summary>The reward functions reward_funcs names, in its order; verdicts read with the model folder's markers.</summary>
    public static IReadOnlyList<RewardFunction> Rewards(CountdownRunConfig config, TokenSpec tokens)
    {
        var markers = ReasoningMarkers.ForModel(config.Grpo.ModelNameOrPath);
        return config.Task.RewardFuncs.Select(name => CountdownRewardFunctions.ByName(name, config, tokens, markers)).ToList();
    }

    /// <summary>The training problems (train_file, or generated from <paramref name="seed"/>) rendered with the prompt
    /// template, each with its problem as the prompt's example.</summary>
    public static IReadOnlyList<TrainingPrompt> Prompts(CountdownTaskConfig task, int seed, QwenTokenizer tokenizer) =>
        Prompts(Problems(task, seed), task, tokenizer);

    static IReadOnlyList<TrainingPrompt> Prompts(IReadOnlyList<CountdownProblem> problems, CountdownTaskConfig task, QwenTokenizer tokenizer)
    {
        var template = PromptTemplate.ByName(task.PromptTemplate);
        return problems.Select(p => new TrainingPrompt(tokenizer.Encode(template.Render(p)).ToArray(), p)).ToList();
    }

    /// <summary>train_file's problems, or num_train_problems generated from the seed.</summary>
    public static IReadOnlyList<CountdownProblem> Problems(CountdownTaskConfig task, int seed)
    {
        if (task.TrainFile is { } file) InputPaths.RequireRegularFile(file, "train_file");
        var problems = task.TrainFile is { } f
            ? CountdownParquet.Read(f)
            : ProblemGenerator.Generate(task.NumTrainProblems, seed, ProblemDistribution.ByName(task.Distribution));
        if (problems.Count == 0) throw new BadInputException($"train_file {task.TrainFile} holds no problems");
        return problems;
    }
}

/// <summary>The Countdown reward functions of docs/countdown-rules.md, by the names reward_funcs uses.</summary>
public static class CountdownRewardFunctions
{
    public static RewardFunction Format { get; } = new(CountdownRewards.FormatRewardName, x => CountdownRewards.FormatReward(x.Completion));

    public static RewardFunction Equation { get; } = new(CountdownRewards.EquationRewardName,
        x => CountdownRewards.EquationReward(x.Completion, Problem(x).Nums, Problem(x).Target).Reward);

    public static RewardFunction VerifiedEquation { get; } = new(CountdownRewards.VerifiedEquationRewardName,
        x => CountdownRewards.VerifiedEquationReward(x.Completion, Problem(x).Nums, Problem(x).Target));

    /// <summary>The format reward for completions that ended on an end token; a completion cut at max_completion_length
    /// earns nothing even when its text happens to close the answer.</summary>
    public static RewardFunction TerminatedFormat(TokenSpec tokens) => new(CountdownRewards.TerminatedFormatRewardName,
        x => x.CompletionIds.Count > 0 && tokens.EosIds.Contains(x.CompletionIds[^1]) ? CountdownRewards.FormatReward(x.Completion) : 0);

    /// <summary>-1 when the attempt the reasoning accepts does not check out (CountdownRewards.AcceptCheckReward).</summary>
    public static RewardFunction AcceptCheck(ReasoningMarkers markers) => new(CountdownRewards.AcceptCheckRewardName,
        x => CountdownRewards.AcceptCheckReward(x.Completion, Problem(x).Target, markers));

    public static RewardFunction ByName(string name, CountdownRunConfig config, TokenSpec tokens, ReasoningMarkers? markers = null) => name switch
    {
        CountdownRewards.AcceptCheckRewardName => AcceptCheck(markers ?? ReasoningMarkers.Default),
        CountdownRewards.FormatRewardName => Format,
        CountdownRewards.EquationRewardName => Equation,
        CountdownRewards.VerifiedEquationRewardName => VerifiedEquation,
        CountdownRewards.TerminatedFormatRewardName => TerminatedFormat(tokens),
        CountdownRewards.SoftOverlongPunishmentName => StandardRewards.SoftOverlongPunishment(config.Grpo.MaxCompletionLength,
            Math.Min(config.Task.SoftPunishCache, config.Grpo.MaxCompletionLength)),
        _ => throw new BadInputException($"reward_funcs: unknown reward function '{name}'; known: {string.Join(", ", CountdownRewards.RewardNames)}"),
    };

    static CountdownProblem Problem(RewardInput x) => x.Prompt.Example as CountdownProblem
        ?? throw new InvalidOperationException("a Countdown reward needs a Countdown problem behind the prompt");
}
