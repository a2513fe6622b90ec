// A Countdown GRPO run's settings: the trainer's (GrpoConfig, lib/Training, which knows no task) and the task's
// (CountdownTaskConfig: data, prompt, rewards), as TRL's scripts keep their ScriptArguments apart from GRPOConfig. Two
// records, one flat JSON object: config.json, --config files and --set name every field at the top level and each goes
// to the record that has it, as TRL's parser fills several dataclasses from one flat YAML. So run folders written
// before the split load unchanged, and a user never needs to know which record a field belongs to.
using System.Text.Json.Nodes;
using Grpo.Countdown;
using Grpo.Files;
using Grpo.Training;

namespace Grpo.Pipeline;

public sealed record CountdownRunConfig
{
    public GrpoConfig Grpo { get; init; } = new();
    public CountdownTaskConfig Task { get; init; } = new();

    /// <summary>The embedded tiny model on easy problems (GrpoConfig.Tiny, CountdownTaskConfig.Easy).</summary>
    public static CountdownRunConfig Tiny { get; } = new() { Grpo = GrpoConfig.Tiny, Task = CountdownTaskConfig.Easy };

    /// <summary>The reference tutorial's Qwen2.5-7B-Instruct run on the full distribution.</summary>
    public static CountdownRunConfig Qwen25_7B { get; } = new() { Grpo = GrpoConfig.Qwen25_7B, Task = CountdownTaskConfig.Full };

    /// <summary>The preset of a name GrpoConfig.ByName knows (its error names the known ones).</summary>
    public static CountdownRunConfig ByName(string name) =>
        ReferenceEquals(GrpoConfig.ByName(name), GrpoConfig.Qwen25_7B) ? Qwen25_7B : Tiny;

    /// <summary>config.json's object: the trainer's fields, then the task's.</summary>
    public JsonObject ToJsonObject() => Grpo.ToRunJson(Task.ToJsonObject());

    public string ToJson() => ToJsonObject().ToJsonString(StrictJson.RecordOptions);

    /// <summary>Fields present in <paramref name="fields"/> replace those of <paramref name="basis"/>, each in the record
    /// that has it; a field neither has is an error naming <paramref name="source"/>. validate: false leaves the range
    /// checks to the caller (several overlays in a row, then one check).</summary>
    public static CountdownRunConfig Overlay(CountdownRunConfig basis, JsonObject fields, string source, bool validate = true)
    {
        foreach (var (key, _) in fields)
            if (!GrpoConfig.FieldNames.Contains(key) && !CountdownTaskConfig.FieldNames.Contains(key))
                throw new BadInputException($"{source}: unknown GRPO config field '{key}'");
        var config = new CountdownRunConfig
        {
            Grpo = GrpoConfig.Overlay(basis.Grpo, StrictJson.Only(fields, GrpoConfig.FieldNames), source, validate: false),
            Task = CountdownTaskConfig.Overlay(basis.Task, StrictJson.Only(fields, CountdownTaskConfig.FieldNames), source),
        };
        return validate ? config.Validated(source) : config;
    }

    public static CountdownRunConfig Overlay(CountdownRunConfig basis, string json, string source, bool validate = true) =>
        Overlay(basis, StrictJson.ParseObject(json, source), source, validate);

    /// <summary>A run's config.json (or a --config file), fields over the defaults; an unknown field is an error.</summary>
    public static CountdownRunConfig Load(string path, bool validate = true)
    {
        if (!File.Exists(path)) throw new BadInputException($"GRPO config file not found: {path}");
        return Overlay(new CountdownRunConfig(), StrictJson.ReadObject(path), path, validate);
    }

    /// <summary>The ranges of both records (GrpoConfig.Validated, CountdownTaskConfig.Validated) and reward_weights
    /// against reward_funcs; throws naming <paramref name="source"/> and the field, else returns this config.</summary>
    public CountdownRunConfig Validated(string source = "GRPO config")
    {
        Grpo.Validated(source);
        Task.Validated(source);
        Grpo.RequireRewardWeights(Task.RewardFuncs, source);
        return this;
    }
}
