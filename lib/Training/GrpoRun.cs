// Builds a ready GrpoTrainer for a task from a GrpoConfig: checks the settings and the run folder, loads the policy
// (or the last checkpoint's weights on resume), LoRA and the reference model, and restores a resumed run.
using Grpo.Files;
using Grpo.Model;
using Grpo.Rollouts;
using Grpo.Torch;
using Grpo.Training.Lora;

namespace Grpo.Training;

public static class GrpoRun
{
    /// <summary>
    /// task: built once the settings, the run folder and the model folder check out (building it may read a data file
    /// and tokenize thousands of prompts). resume: continue from the run folder's newest checkpoint that checks out (a
    /// fresh start when there is none); a damaged newer one is set aside and <paramref name="warn"/> (and
    /// logs/train.log) told so.
    /// </summary>
    public static GrpoTrainer Create(GrpoConfig config, Func<GrpoTask> task, bool resume = false, Action<string>? warn = null)
    {
        config.Validated();
        var run = config.Run;
        // From here until the trainer is disposed, no other process works on this run folder.
        var warnings = new List<string>();
        var runLock = RunLock.Acquire(run, warnings.Add);
        try
        {
            var trainer = CreateLocked(config, task, resume, warn, run, warnings);
            trainer.HeldLock = runLock;
            return trainer;
        }
        catch
        {
            runLock.Dispose();
            throw;
        }
    }

    /// <summary>The rest of <see cref="Create"/>, once the run folder's lock is held.</summary>
    static GrpoTrainer CreateLocked(GrpoConfig config, Func<GrpoTask> task, bool resume, Action<string>? warn, RunFolder run, List<string> warnings)
    {
        if (!resume && run.HoldsRun)
            throw new BadInputException($"Run folder {run.Root} already holds a run; resume it or choose another output folder");
        run.RequireCheckpointFolders();
        var baseDir = config.ModelNameOrPath;
        InputPaths.RequireFolder(baseDir, "model_name_or_path");
        var device = TorchOptions.ParseDevice(config.Device);
        var dtype = TorchOptions.ParseDtype(config.Dtype);

        var grpoTask = task();
        if (grpoTask.Prompts.Count == 0) throw new BadInputException("the task has no training prompts");
        config.RequireRewardWeights(grpoTask.Rewards.Select(r => r.Name).ToList());
        var modelConfig = Qwen2Config.Load(baseDir);
        CheckPositions(config, grpoTask.Prompts, modelConfig);
        if (config.UsePeft) config.Lora.CheckFits(modelConfig, config.ModelNameOrPath);

        // Last of the checks, as it may set a damaged checkpoint aside (a rename: nothing is deleted).
        var latest = resume ? run.LatestValidCheckpoint(warnings.Add) : null;

        Qwen2ForCausalLM? policy = null, reference = null;
        try
        {
            policy = Qwen2ForCausalLM.FromPretrained(latest is { } l && !config.UsePeft ? l.Dir : baseDir, dtype, device);
            LoraAdapters? lora = null;
            if (config.UsePeft)
            {
                lora = LoraAdapters.Apply(policy, config.Lora, config.Seed);
                if (latest is { } c) lora.Load(Checkpoints.AdapterDir(c.Dir));
            }
            else foreach (var p in policy.parameters()) p.requires_grad = true;
            if (config.Beta > 0 && lora is null) reference = Qwen2ForCausalLM.FromPretrained(baseDir, dtype, device);

            // Servers are first asked anything at the first generation, inside the trainer's handling of their failures.
            var rollouts = config.UseVllm ? new ServerRollouts(config.RolloutServerSettings(grpoTask.Tokens, policy.Config.VocabSize)) : null;
            var trainer = new GrpoTrainer(config, policy, grpoTask, run, baseDir, lora, reference, rollouts);
            if (latest is { } ck) trainer.RestoreFrom(ck.Dir);
            else if (resume) trainer.StartOver();   // a run killed before its first checkpoint
            foreach (var w in warnings)
            {
                new RunLog(run).Info("warning: " + w);
                warn?.Invoke(w);
            }
            return trainer;
        }
        catch
        {
            policy?.Dispose();
            reference?.Dispose();
            throw;
        }
    }

    /// <summary>The longest prompt (cut to max_prompt_length, as the trainer does) plus max_completion_length must fit
    /// the model's max_position_embeddings; checked before any work rather than failing inside libtorch mid-step.</summary>
    static void CheckPositions(GrpoConfig config, IReadOnlyList<TrainingPrompt> prompts, Qwen2Config model)
    {
        int longest = prompts.Count == 0 ? 0 : Math.Min(config.MaxPromptLength, prompts.Max(p => p.Ids.Length));
        if ((long)longest + config.MaxCompletionLength > model.MaxPositionEmbeddings)
            throw new BadInputException($"max_completion_length {config.MaxCompletionLength} plus the longest prompt ({longest} tokens) " +
                $"exceeds max_position_embeddings {model.MaxPositionEmbeddings} of {config.ModelNameOrPath}: lower max_completion_length " +
                $"to {Math.Max(0, model.MaxPositionEmbeddings - longest)} or less");
    }
}
