// Builds a ready GrpoTrainer from a GrpoConfig (what the CLI and notebooks call): loads the policy (or the last
// checkpoint's weights on resume), LoRA, the reference model, the tokenizer, the Countdown prompts and rewards.
using Grpo.Countdown;
using Grpo.Model;
using Grpo.Training.Lora;
using TorchSharp;
using static TorchSharp.torch;

namespace Grpo.Training;

public static class GrpoRun
{
    /// <summary>
    /// resume: continue from the run folder's last complete checkpoint (a fresh start when there is none).
    /// prompts / rewards / tokens: replace the Countdown task (tests use synthetic ones); null = from the config.
    /// </summary>
    public static GrpoTrainer Create(GrpoConfig config, bool resume = false, IReadOnlyList<TrainingPrompt>? prompts = null,
        IReadOnlyList<RewardFunction>? rewards = null, TokenSpec? tokens = null)
    {
        config.Validated();
        var run = new RunFolder(config.OutputDir);
        var latest = resume ? Checkpoints.LatestComplete(run.CheckpointsDir) : null;
        if (!resume && (File.Exists(run.MetricsPath) || Checkpoints.LatestComplete(run.CheckpointsDir) is not null))
            throw new InvalidOperationException($"Run folder {run.Root} already holds a run; resume it or choose another output folder");

        var device = torch.device(config.Device);
        var dtype = TorchOptions.ParseDtype(config.Dtype);
        var baseDir = config.ModelNameOrPath;
        if (!Directory.Exists(baseDir)) throw new DirectoryNotFoundException($"model_name_or_path: folder not found: {baseDir}");

        if (tokens is null || prompts is null)
        {
            var tokenizer = QwenTokenizer.FromFolder(baseDir);
            // End a completion on any eos id of the model config or the tokenizer (as generation_config does).
            var modelConfig = Qwen2Config.Load(baseDir);
            var eos = modelConfig.EosTokenId.Concat(tokenizer.EosTokenIds).Distinct().ToList();
            tokens ??= new TokenSpec(eos, modelConfig.PadTokenId ?? tokenizer.PadTokenId, ids => tokenizer.Decode(ids));
            prompts ??= CountdownPrompts(config, tokenizer);
        }
        rewards ??= config.RewardFuncs.Select(CountdownRewardFunctions.ByName).ToList();

        Qwen2ForCausalLM? policy = null, reference = null;
        try
        {
            policy = Qwen2ForCausalLM.FromPretrained(latest is { } l && !config.UsePeft ? l.Dir : baseDir, dtype, device);
            LoraAdapters? lora = null;
            if (config.UsePeft)
            {
                lora = LoraAdapters.Apply(policy, LoraSettings.FromConfig(config), config.Seed);
                if (latest is { } c) lora.Load(Path.Combine(c.Dir, "adapter"));
            }
            else foreach (var p in policy.parameters()) p.requires_grad = true;
            if (config.Beta > 0 && lora is null) reference = Qwen2ForCausalLM.FromPretrained(baseDir, dtype, device);

            var trainer = new GrpoTrainer(config, policy, prompts, rewards, tokens, run, baseDir, lora, reference);
            if (latest is { } ck) trainer.RestoreFrom(ck.Dir);
            else if (resume) new RunLog(run).TruncateAfter(0);   // a run killed before its first checkpoint starts over
            return trainer;
        }
        catch
        {
            policy?.Dispose();
            reference?.Dispose();
            throw;
        }
    }

    /// <summary>The training problems (train_file, or generated from the seed) rendered with the prompt template.</summary>
    public static IReadOnlyList<TrainingPrompt> CountdownPrompts(GrpoConfig config, QwenTokenizer tokenizer)
    {
        var problems = config.TrainFile is { } file
            ? CountdownParquet.Read(file)
            : ProblemGenerator.Generate(config.NumTrainProblems, config.Seed, ProblemDistribution.ByName(config.Distribution));
        var template = PromptTemplate.ByName(config.PromptTemplate);
        return problems.Select(p => new TrainingPrompt(tokenizer.Encode(template.Render(p)).ToArray(), p)).ToList();
    }
}
