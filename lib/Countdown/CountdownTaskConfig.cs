// The Countdown task's settings of a GRPO run, apart from the trainer's (as TRL keeps a script's dataset and reward
// arguments out of GRPOConfig): which problems, how they are rendered, which rewards. In a run's config.json they sit
// at the top level beside the trainer's fields, under the same snake_case names as always.
using System.Text.Json;
using System.Text.Json.Nodes;
using Grpo.Files;

namespace Grpo.Countdown;

public sealed record CountdownTaskConfig
{
    public string? TrainFile { get; init; }                      // Parquet of problems; null = generate with the seed
    public string Distribution { get; init; } = "easy";          // easy | full (used when train_file is null)
    public int NumTrainProblems { get; init; } = 20_000;         // generated problems (used when train_file is null)
    public string PromptTemplate { get; init; } = "english";     // english | chinese (docs/countdown-rules.md)
    /// <summary>Reward functions by name (TRL passes reward functions to the trainer; their weights, reward_weights, are
    /// the trainer's setting).</summary>
    public IReadOnlyList<string> RewardFuncs { get; init; } = CountdownRewards.DefaultRewardNames;
    /// <summary>soft_overlong_punishment's buffer: the last tokens before max_completion_length over which the penalty
    /// grows from 0 to -1 (TRL's soft_punish_cache, verl's overlong_buffer.len).</summary>
    public int SoftPunishCache { get; init; } = 32;
    /// <summary>Train only on problems whose base success rate (competence_samples samples at the run's temperature) lies
    /// in [low, high], e.g. [0.125, 0.75]: the edge of the model's competence. null = every problem.</summary>
    public IReadOnlyList<double>? CompetenceBand { get; init; }
    public int CompetenceSamples { get; init; } = 8;
    /// <summary>How many of the training problems (the first ones) the base model is sampled on for the band.</summary>
    public int CompetenceProblems { get; init; } = 4096;

    /// <summary>The embedded tiny model's problems: 3 numbers of 1-20, the Chinese prompt it was trained on.</summary>
    public static CountdownTaskConfig Easy { get; } = new() { Distribution = "easy", PromptTemplate = "chinese" };

    /// <summary>The reference tutorial's: the full Countdown-Tasks-3to4 distribution, the Chinese prompt.</summary>
    public static CountdownTaskConfig Full { get; } = new() { Distribution = "full", PromptTemplate = "chinese" };

    public static IReadOnlySet<string> FieldNames { get; } = StrictJson.FieldNames(new CountdownTaskConfig());

    public JsonObject ToJsonObject() => JsonSerializer.SerializeToNode(this, StrictJson.RecordOptions)!.AsObject();

    /// <summary>Fields present in <paramref name="fields"/> replace those of <paramref name="basis"/>; an unknown one is
    /// an error naming <paramref name="source"/>.</summary>
    public static CountdownTaskConfig Overlay(CountdownTaskConfig basis, JsonObject fields, string source) =>
        StrictJson.Overlay(basis, fields, source, "Countdown task");

    /// <summary>The task's fields of a run's config.json (the rest are the trainer's); missing ones keep their defaults.</summary>
    public static CountdownTaskConfig FromRunJson(JsonObject runConfig, string source) =>
        Overlay(new CountdownTaskConfig(), StrictJson.Only(runConfig, FieldNames), source);

    /// <summary>Checks the names and counts; returns this config or throws naming <paramref name="source"/> and the field.</summary>
    public CountdownTaskConfig Validated(string source = "Countdown task config")
    {
        void Require(bool ok, string message) { if (!ok) throw new BadInputException($"{source}: {message}"); }
        Require(Countdown.ProblemDistribution.All.Any(d => d.Name.Equals(Distribution, StringComparison.OrdinalIgnoreCase)),
            $"distribution must be easy or full (got '{Distribution}')");
        Require(NumTrainProblems > 0, $"num_train_problems must be > 0 (got {NumTrainProblems})");
        Require(NumTrainProblems <= ProblemGenerator.MaxCount,
            $"num_train_problems must be at most {ProblemGenerator.MaxCount} (got {NumTrainProblems})");
        Require(Countdown.PromptTemplate.All.Any(t => t.Name.Equals(PromptTemplate, StringComparison.OrdinalIgnoreCase)),
            $"prompt_template must be chinese or english (got '{PromptTemplate}')");
        Require(RewardFuncs.Count > 0, "reward_funcs is empty");
        foreach (var name in RewardFuncs)
            Require(CountdownRewards.RewardNames.Contains(name),
                $"reward_funcs: unknown reward function '{name}'; known: {string.Join(", ", CountdownRewards.RewardNames)}");
        Require(SoftPunishCache >= 1, $"soft_punish_cache must be >= 1 (got {SoftPunishCache})");
        Require(CompetenceBand is null || CompetenceBand.Count == 2 && CompetenceBand.All(x => x is >= 0 and <= 1) && CompetenceBand[0] <= CompetenceBand[1],
            $"competence_band must be null or [low, high] with 0 <= low <= high <= 1 (got [{string.Join(", ", CompetenceBand ?? [])}])");
        Require(CompetenceSamples is >= 1 and <= 64, $"competence_samples must be in [1, 64] (got {CompetenceSamples})");
        Require(CompetenceProblems is >= 1 and <= 1_000_000, $"competence_problems must be in [1, 1000000] (got {CompetenceProblems})");
        return this;
    }
}
