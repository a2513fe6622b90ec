// GRPO as TRL's GRPOTrainer runs it (trl/trainer/grpo_trainer.py and grpo_config.py, read 2026-07; TRL's names), on
// one device, for a task handed in as a GrpoTask. One Step() = one generation batch of B prompts x G completions, then
// num_iterations optimizer steps on it: generate -> score -> advantages -> old/ref log-probs -> clipped loss + k3 KL
// -> AdamW update -> log, with a checkpoint every save_steps.
//
// As TRL: G completions per prompt sampled with temperature, top_p, top_k; prompts cut to their last max_prompt_length
// tokens (TRL's left truncation); reward = reward_weights-weighted sum of named functions, each logged as
// rewards/<name>/mean; advantage (r - group mean) / (group std + 1e-4), scale_rewards group | batch | none; per-token
// ratio clipped to [1 - epsilon, 1 + epsilon_high]; k3 KL to a frozen reference (with LoRA: the base, adapters off),
// weight beta; loss_type grpo | dr_grpo | bnpo | dapo; mask_truncated_completions; log-probs of temperature-scaled
// logits; num_iterations, with old log-probs from the policy before the updates (with one iteration the ratio is
// exactly 1 and they are not computed, as in TRL); per_device_train_batch_size counts completions and
// gradient_accumulation_steps micro-batches make a step; AdamW, warmup then cosine | linear | constant, max_grad_norm.
//
// Different: loss_type defaults to grpo (TRL's default is now dapo); drop_zero_std_groups (not in TRL) leaves out
// groups whose rewards are all equal (advantage 0), so the loss averages over the groups kept; one generation batch
// feeds one optimizer step (no generation_batch_size / steps_per_generation buffer); dynamic_sampling (DAPO's, not in
// TRL) draws further prompt batches until B groups carry signal, at most dynamic_sampling_max_draws; data order is one seeded
// permutation per epoch and sampling is seeded per step, so a resumed run repeats an uninterrupted one.
//
// Memory and speed, results unchanged (within float rounding): the LM head and log-softmax run over chunks of the
// generated tokens only (ChunkedLogProbs, logits_chunk_size), a group's prompt is run once per micro-batch
// (CompletionForward, share_prompt_forward), rows are sorted by completion length before micro-batching
// (sort_by_length; not for bnpo, whose loss depends on the cut), and gradient_checkpointing recomputes each decoder
// layer in backward (ActivationCheckpoint).
//
// Completions come from an IRolloutSource: the project's generator on the policy itself (LocalRollouts), or, with
// use_vllm, inference servers (ServerRollouts: vLLM, SGLang, `grpo serve`) that are handed the policy's weights before
// each generation that follows an update, and whose log-probs drive TRL's importance-sampling correction
// (ImportanceSampling; vllm_importance_sampling_*) and the logged sampling/* mismatch.
//
// Not implemented: vLLM colocate mode and NCCL weight transfer, multi-GPU / distributed training, Liger kernels (the
// chunked LM head above plays their part); reward models, async or normalize_then_sum rewards; tools, multi-turn
// rollouts, vision-language models; loss types cispo, sapo, luspo, vespo, sequence-level importance sampling (GSPO),
// two-sided clipping (delta), top_entropy_quantile, the entropy bonus, disable_dropout; min_p and
// repetition_penalty in sampling.
using System.Diagnostics;
using Grpo.Model;
using Grpo.Rollouts;
using Grpo.Torch;
using Grpo.Training.Lora;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Grpo.Training;

/// <summary>Reported after every optimizer step (CLI progress bars, notebook live charts).</summary>
public sealed record GrpoProgress(int Step, int MaxSteps, IReadOnlyList<KeyValuePair<string, double>> Metrics,
    string? CheckpointSaved)
{
    public double this[string name] => Metrics.First(kv => kv.Key == name).Value;
}

public sealed class GrpoTrainer : IDisposable
{
    public const string RngDescription =
        "sampling seed = seed * 1000003 + step; LoRA dropout: the adapters' generator seeded seed + step before each update; data order: seeded permutation per epoch";

    readonly GrpoConfig config;
    readonly Qwen2ForCausalLM policy;
    readonly Qwen2ForCausalLM? referenceModel;   // frozen copy; null with LoRA (adapters off) or beta = 0
    readonly LoraAdapters? lora;
    readonly GrpoTask task;
    readonly IReadOnlyList<TrainingPrompt> prompts;
    readonly CompletionScorer scorer;
    readonly TokenSpec tokens;
    readonly RunFolder run;
    readonly RunLog log;
    readonly ITaskLog? taskLog;   // the task's sample files and extra metrics; null: the task keeps nothing
    readonly string tokenizerDir;
    readonly TrainedParameters trained;
    readonly LearningRateSchedule schedule;
    readonly PromptSampler sampler;
    readonly List<Dictionary<string, double>> history = [];
    readonly IRolloutSource rollouts;
    int rolloutPolicyStep = -1;   // the step whose weights the rollout source samples from (-1: not handed any yet)
    double weightSyncTime;

    public int GlobalStep { get; private set; }
    /// <summary>The run folder's lock (RunLock) when GrpoRun made this trainer: released when the trainer is disposed.</summary>
    internal IDisposable? HeldLock { get; set; }
    public GrpoConfig Config => config;
    public Qwen2ForCausalLM Policy => policy;
    public LoraAdapters? Lora => lora;
    public RunFolder Run => run;
    /// <summary>The parameters the optimizer trains (LoRA adapters, or every weight), with their gradients after a step.</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> TrainedParameters => trained.Model;

    /// <summary>Raised as each part of a step ends: "generation", "reference log-probs", "update" (benchmarks read the
    /// process's peak memory per part).</summary>
    public event Action<string>? PhaseEnded;

    /// <summary>
    /// policy: the model to train (with LoRA already applied when <paramref name="lora"/> is given). task: prompts,
    /// reward functions, end tokens, the task log and the task's settings (written beside the trainer's in
    /// config.json). referenceModel: a frozen copy for the KL term when beta > 0 and there is no LoRA. tokenizerDir:
    /// where the tokenizer files that checkpoints copy live (usually the base model folder). rollouts: where completions
    /// are sampled (default: the policy itself, in this process); the trainer disposes it.
    /// </summary>
    public GrpoTrainer(GrpoConfig config, Qwen2ForCausalLM policy, GrpoTask task, RunFolder run, string tokenizerDir,
        LoraAdapters? lora = null, Qwen2ForCausalLM? referenceModel = null, IRolloutSource? rollouts = null)
    {
        this.config = config.Validated();
        if (config.Beta > 0 && lora is null && referenceModel is null)
            throw new ArgumentException("beta > 0 needs a reference model: pass a frozen copy or use LoRA");
        if (task.Rewards.Count == 0) throw new ArgumentException("at least one reward function is needed");
        if (task.Prompts.Count == 0) throw new ArgumentException("no training prompts");
        this.task = task;
        this.policy = policy;
        this.referenceModel = referenceModel;
        this.lora = lora;
        (prompts, tokens, taskLog) = (task.Prompts, task.Tokens, task.Log);
        scorer = new CompletionScorer(task, config);
        this.run = run;
        this.tokenizerDir = tokenizerDir;
        run.Create();
        log = new RunLog(run);
        if (referenceModel is not null)
            foreach (var p in referenceModel.parameters()) p.requires_grad = false;
        policy.GradientCheckpointing = config.GradientCheckpointing;

        trained = new TrainedParameters(lora is not null
            ? lora.NamedParameters().ToList()
            : policy.named_parameters().Where(p => p.parameter.requires_grad).Select(p => (p.name, p.parameter)).ToList(), config);
        schedule = LearningRateSchedule.FromConfig(config);
        sampler = new PromptSampler(prompts.Count, config.Seed);
        this.rollouts = rollouts ?? new LocalRollouts(policy, tokens.EosIds, tokens.PadId);
    }

    // ------------------------------------------------------------------ the loop

    /// <summary>Runs until max_steps (or cancellation), reporting each optimizer step.</summary>
    public void Train(IProgress<GrpoProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (GlobalStep == 0)
        {
            config.Save(run.ConfigPath, task.Settings);
            log.Info($"GRPO start: model {config.ModelNameOrPath}, {prompts.Count} prompts, {trained.Model.Sum(p => p.Parameter.numel()):N0} trained parameters" +
                     $"{(lora is not null ? $" (LoRA r={config.LoraR} on {lora.Layers.Count} projections)" : "")}, " +
                     $"B={config.PromptsPerStep} x G={config.NumGenerations}, max_steps {config.MaxSteps}, device {policy.Device}, dtype {policy.Dtype}");
        }
        else log.Info($"GRPO resume at step {GlobalStep}/{config.MaxSteps}");
        while (GlobalStep < config.MaxSteps)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Step(progress);
        }
    }

    /// <summary>One generation batch, then num_iterations optimizer steps on it.</summary>
    public void Step(IProgress<GrpoProgress>? progress = null)
    {
        var stepWatch = Stopwatch.StartNew();
        var watch = Stopwatch.StartNew();
        var (epoch, position) = (sampler.Epoch, sampler.Position);
        (Generation, Generation, int) batch;
        try { batch = GenerateAndScore(); }
        catch (RolloutServerException e)
        {
            sampler.Restore(epoch, position);   // the step's prompts are drawn again when the run continues
            throw Stopped(e);
        }
        var (generated, kept, draws) = batch;
        double generationTime = watch.Elapsed.TotalSeconds - weightSyncTime;
        PhaseEnded?.Invoke("generation");
        // Logged: everything generated (what the policy does). Trained on: the kept groups (all of them without
        // dynamic_sampling).
        var scored = scorer.Scored(generated.Completions, generated.Scores, GlobalStep + 1);
        taskLog?.Write(scored);
        var taskMetrics = taskLog?.Metrics(scored) ?? [];
        var (completions, scores) = kept;
        var advantages = Advantages.Compute(scores.Total, config.NumGenerations, config.ScaleRewards);
        var signal = Advantages.Compute(generated.Scores.Total, config.NumGenerations, config.ScaleRewards);

        // Rows that carry a learning signal (all of them unless drop_zero_std_groups).
        var rows = Enumerable.Range(0, completions.Count)
            .Where(i => !config.DropZeroStdGroups || advantages.GroupHasSignal[i / config.NumGenerations]).ToList();
        var microBatches = MicroBatches(rows, completions, advantages.Advantages);

        try
        {
            watch.Restart();
            foreach (var mb in microBatches) ComputeOldAndReferenceLogProbs(mb);
            double referenceTime = watch.Elapsed.TotalSeconds;
            PhaseEnded?.Invoke("reference log-probs");

            for (int iteration = 0; iteration < config.NumIterations; iteration++)
            {
                watch.Restart();
                var update = Update(microBatches, rows.Count);
                double updateTime = watch.Elapsed.TotalSeconds;
                PhaseEnded?.Invoke("update");
                GlobalStep++;
                if (config.SyncRefModel && GlobalStep % config.RefModelSyncSteps == 0)
                    ReferenceModelSync.MixTowards(referenceModel!, policy, config.RefModelMixupAlpha, log);

                bool first = iteration == 0;
                var times = new StepTimes(first ? generationTime : 0, first ? referenceTime : 0, updateTime,
                    first ? stepWatch.Elapsed.TotalSeconds : updateTime, config.UseVllm ? (first ? weightSyncTime : 0) : null);
                var metrics = StepMetrics.Build(scorer.Names, generated.Scores.Total, generated.Scores.PerFunction, signal,
                    generated.Completions.Select(c => (c.Ids.Length, c.Finished)).ToList(), update, config.Beta > 0, times);
                if (config.DynamicSampling)
                {
                    metrics.Add(new(MetricNames.DynamicSamplingDraws, draws));
                    metrics.Add(new(MetricNames.DynamicSamplingGroupsTrained, completions.Count / config.NumGenerations));
                }
                metrics.AddRange(taskMetrics);
                log.Metrics(GlobalStep, metrics);
                history.Add(metrics.Prepend(new("step", GlobalStep)).ToDictionary(kv => kv.Key, kv => kv.Value));
                log.Info(StepMetrics.Describe(GlobalStep, config.MaxSteps, scorer.Names, config.Beta > 0, metrics));

                string? saved = null;
                if (GlobalStep % config.SaveSteps == 0 || GlobalStep == config.MaxSteps)
                {
                    saved = SaveCheckpoint();
                    log.Info($"saved {saved}");
                }
                progress?.Report(new GrpoProgress(GlobalStep, config.MaxSteps, metrics, saved));
                stepWatch.Restart();
            }
        }
        finally
        {
            foreach (var mb in microBatches) mb.Dispose();
        }
    }

    // ------------------------------------------------------------------ generate

    sealed record Generation(List<Completion> Completions, Scores Scores);

    /// <summary>
    /// B prompts x G completions, scored. With dynamic_sampling (DAPO's dynamic sampling) further batches of B prompts
    /// are drawn until B groups with a learning signal (rewards not all equal) are collected or
    /// dynamic_sampling_max_draws batches were drawn; the first B such groups are kept for training (fewer when the cap
    /// is reached). Returns everything generated, what is kept, and the number of batches drawn.
    /// </summary>
    (Generation Generated, Generation Kept, int Draws) GenerateAndScore()
    {
        int b = config.PromptsPerStep, g = config.NumGenerations, draws = 0;
        SyncRolloutPolicy();
        var completions = new List<Completion>();
        var scores = new List<Scores>();
        var keptRows = new List<int>();
        do
        {
            var batch = sampler.Next(b).Select(i => prompts[i]).ToList();
            var drawn = Generate(batch, draws++);
            var drawnScores = scorer.Score(drawn);
            var hasSignal = Advantages.Compute(drawnScores.Total, g, config.ScaleRewards).GroupHasSignal;
            for (int group = 0; group < batch.Count && keptRows.Count < b * g; group++)
                if (!config.DynamicSampling || hasSignal[group])
                    keptRows.AddRange(Enumerable.Range(completions.Count + group * g, g));
            completions.AddRange(drawn);
            scores.Add(drawnScores);
        } while (config.DynamicSampling && keptRows.Count < b * g && draws < config.DynamicSamplingMaxDraws);

        var all = Scores.Concat(scores);
        var kept = new Generation(keptRows.Select(i => completions[i]).ToList(), all.Select(keptRows));
        return (new Generation(completions, all), kept, draws);
    }

    /// <summary>G sampled completions per prompt, prompt-major (rows g*G .. g*G+G-1 belong to prompt g). Draw d of a
    /// step samples with its own seed (draw 0: the seed every step has without dynamic sampling).</summary>
    List<Completion> Generate(IReadOnlyList<TrainingPrompt> batch, int draw)
    {
        policy.eval();
        // As TRL: prompts longer than max_prompt_length keep their last tokens.
        var promptIds = batch.Select(p => p.Ids.Length > config.MaxPromptLength ? p.Ids[^config.MaxPromptLength..] : p.Ids).ToList();
        var request = new RolloutRequest(promptIds, config.NumGenerations, config.MaxCompletionLength, config.Temperature,
            config.TopP, config.TopK, Seed: (long)config.Seed * 1_000_003L + GlobalStep + draw * 1_000_000_007L);
        var samples = rollouts.Sample(request);
        if (samples.Count != batch.Count * config.NumGenerations)
            throw new InvalidOperationException($"the rollout source returned {samples.Count} completions for {batch.Count} x {config.NumGenerations}");
        return samples.Select((s, i) => new Completion(batch[i / config.NumGenerations], s.PromptIds, s.Ids, s.Finished, s.LogProbs)).ToList();
    }

    /// <summary>Hands the rollout source the policy when it changed since the last generation (and before the first), so a
    /// server samples from the weights being trained; LocalRollouts samples from the policy itself and ignores it.</summary>
    void SyncRolloutPolicy()
    {
        weightSyncTime = 0;
        if (rolloutPolicyStep == GlobalStep) return;
        var watch = Stopwatch.StartNew();
        rollouts.UsePolicy(new PolicyWeights(GlobalStep, lora is not null, dir =>
        {
            if (lora is not null) lora.Save(dir, config.ModelNameOrPath);
            else policy.SavePretrained(dir);   // weights and config only: a server keeps its tokenizer
        }));
        rolloutPolicyStep = GlobalStep;
        weightSyncTime = watch.Elapsed.TotalSeconds;
    }

    /// <summary>A rollout server failed for good: everything trained so far is kept in a checkpoint (unless one holds it
    /// already), and the error says where the run continues.</summary>
    RolloutServerException Stopped(RolloutServerException e)
    {
        string where = "no step was trained yet";
        if (GlobalStep > 0)
        {
            if (!RunFolder.IsComplete(run.CheckpointDir(GlobalStep))) SaveCheckpoint();
            where = $"{RunFolder.CheckpointName(GlobalStep)} holds every step trained; resuming the run continues from it";
        }
        log.Info($"stopped before step {GlobalStep + 1}: {e.Message}; {where}");
        return new RolloutServerException($"{e.Message}; stopped before step {GlobalStep + 1} of {config.MaxSteps}: {where}", e, e.Status);
    }

    // ------------------------------------------------------------------ old / reference log-probs

    void ComputeOldAndReferenceLogProbs(MicroBatch mb)
    {
        using var _ = no_grad();
        // With one iteration the "old" policy is the current one, detached: the ratio is exactly 1 (as TRL).
        if (config.NumIterations > 1)
        {
            policy.eval();
            mb.OldLogProbs = LogProbs(policy, mb).DetachFromDisposeScope();
        }
        if (config.Beta > 0)
        {
            mb.RefLogProbs = (referenceModel is not null
                ? LogProbs(referenceModel, mb)
                : lora!.WithAdaptersDisabled(() => LogProbs(policy, mb))).DetachFromDisposeScope();
        }
    }

    /// <summary>log p(completion token | prefix) for every completion position, float32 [mb, C] (temperature-scaled as TRL).</summary>
    Tensor LogProbs(Qwen2ForCausalLM model, MicroBatch mb) => LogProbsAndEntropy(model, mb, withEntropy: false).LogProbs;

    /// <summary>Log-probs (and entropies) of the generated tokens, float32 [mb, C], 0 past each completion's end. The
    /// prompt is run once per micro-batch (share_prompt_forward) and the LM head over chunks of the generated tokens
    /// only (logits_chunk_size), so no [mb, P + C, V] logits exist.</summary>
    (Tensor LogProbs, Tensor? Entropy) LogProbsAndEntropy(Qwen2ForCausalLM model, MicroBatch mb, bool withEntropy)
    {
        using var scope = NewDisposeScope();
        var hidden = CompletionForward.PredictingHiddenStates(model, mb.Tokens, config.SharePromptForward);
        var generated = mb.Tokens.CompletionAttentionMask.reshape(-1).nonzero().squeeze(1);
        var (logp, entropy) = ChunkedLogProbs.Compute(hidden.reshape(-1, hidden.shape[^1]).index_select(0, generated),
            model.LmHeadWeight, mb.CompletionIds.reshape(-1).index_select(0, generated), config.Temperature,
            config.LogitsChunkSize, withEntropy);
        var shape = mb.CompletionIds.shape;
        Tensor Spread(Tensor x) => zeros(shape[0] * shape[1], ScalarType.Float32, x.device).index_copy(0, generated, x).view(shape);
        return (Spread(logp).MoveToOuterDisposeScope(), entropy is null ? null : Spread(entropy).MoveToOuterDisposeScope());
    }

    /// <summary>The rows' micro-batches, sorted by completion length unless the loss type depends on the cut.</summary>
    List<MicroBatch> MicroBatches(IReadOnlyList<int> rows, IReadOnlyList<Completion> completions, double[] advantages) =>
        MicroBatch.Cut(rows, r => completions[r].Ids.Length, config.PerDeviceTrainBatchSize, config.SortByLength && config.LossType != "bnpo")
            .Select(cut => MicroBatch.Build(cut.Select(r => new UpdateRow(completions[r].PromptIds, completions[r].Ids, advantages[r],
                    completions[r].SamplerLogProbs)).ToList(),
                tokens, config.MaskTruncatedCompletions, policy.Device))
            .ToList();

    // ------------------------------------------------------------------ loss and update

    UpdateResult Update(IReadOnlyList<MicroBatch> microBatches, int totalRows)
    {
        double lr = schedule.LearningRate(GlobalStep);
        trained.Optimizer.LearningRate = lr;
        if (totalRows == 0) return new UpdateResult(0, 0, 0, 0, 0, 0, lr, Skipped: true);

        policy.train();
        lora?.SeedDropout(config.Seed + GlobalStep);   // reproducible, also after a resume
        trained.ZeroGrad();
        double totalTokens = microBatches.Sum(mb => mb.TokenCount);
        double loss = 0, kl = 0, entropy = 0, low = 0, high = 0;
        SamplerMismatch? mismatch = null;
        foreach (var mb in microBatches)
        {
            using var scope = NewDisposeScope();
            var (logp, ent) = LogProbsAndEntropy(policy, mb, withEntropy: true);
            var old = mb.OldLogProbs ?? logp.detach();
            var perToken = GrpoLoss.ClippedSurrogate(logp, old, mb.Advantages, config.Epsilon, config.EffectiveEpsilonHigh);
            if (mb.SamplerLogProbs is { } samplerLogp)
            {
                var weights = config.VllmImportanceSamplingCorrection ? ImportanceSampling.Weights(old, samplerLogp, mb.CompletionMask,
                    config.VllmImportanceSamplingMode, config.VllmImportanceSamplingClipMin, config.ImportanceSamplingMax) : null;
                if (weights is not null) perToken = perToken * weights;   // before the KL term, as TRL
                (mismatch ??= new SamplerMismatch()).Add(old, samplerLogp, mb.CompletionMask, weights);
            }
            Tensor? klTokens = null;
            if (config.Beta > 0)
            {
                klTokens = GrpoLoss.KlK3(logp, mb.RefLogProbs!);
                perToken = perToken.Plus(klTokens.mul(HeldScalars.Of(config.Beta)));
            }
            var mbLoss = GrpoLoss.MicroBatchShare(perToken, mb.CompletionMask, mb.Rows, config.LossType, config.MaxCompletionLength,
                totalRows, microBatches.Count, totalTokens);
            mbLoss.backward();

            // Metrics: token means over this micro-batch, weighted by its token share.
            double share = mb.TokenCount / Math.Max(1.0, totalTokens);
            loss += mbLoss.item<float>();
            entropy += GrpoLoss.MaskedMean(ent!, mb.CompletionMask).item<float>() * share;
            if (klTokens is not null) kl += GrpoLoss.MaskedMean(klTokens.detach(), mb.CompletionMask).item<float>() * share;
            var (l, h) = GrpoLoss.ClippedTokens(logp.detach(), old, mb.Advantages, mb.CompletionMask, config.Epsilon, config.EffectiveEpsilonHigh);
            low += l.item<float>();
            high += h.item<float>();
        }
        double gradNorm = trained.ClipAndStep(config.MaxGradNorm);
        double tokens = Math.Max(1.0, totalTokens);
        return new UpdateResult(loss, gradNorm, kl, entropy, low / tokens, high / tokens, lr, Skipped: false, mismatch?.Metrics());
    }

    // ------------------------------------------------------------------ checkpoints

    /// <summary>Writes checkpoints/checkpoint-N (atomic): HF model folder (merged if LoRA) + tokenizer files,
    /// adapter, optimizer moments, trainer state.</summary>
    public string SaveCheckpoint() => Checkpoints.Save(run, GlobalStep, dir =>
    {
        Checkpoints.WriteModel(dir, policy, lora, tokenizerDir, config.ModelNameOrPath);
        Checkpoints.WriteTrainedState(dir, trained);
        if (config.SyncRefModel) Checkpoints.WriteReferenceModel(dir, referenceModel!);
        // The state file goes last: its presence marks a complete checkpoint even without the rename.
        new TrainerState
        {
            GlobalStep = GlobalStep, MaxSteps = config.MaxSteps, Seed = config.Seed,
            DataEpoch = sampler.Epoch, DataPosition = sampler.Position,
            LearningRate = schedule.LearningRate(GlobalStep), LrSchedulerType = schedule.Type, WarmupSteps = schedule.WarmupSteps,
            UsePeft = lora is not null, BaseModel = config.ModelNameOrPath, LogHistory = history.ToList(),
        }.Save(dir);
    });

    /// <summary>Continues from a checkpoint written by this trainer's configuration: the policy weights must already
    /// be those of the checkpoint (see GrpoRun); this restores moments, step, data position and the run's files.</summary>
    public void RestoreFrom(string checkpointDir)
    {
        var state = TrainerState.Load(checkpointDir);
        if (state.Seed != config.Seed)
            throw new BadInputException($"{checkpointDir}: written with seed {state.Seed}, this run uses seed {config.Seed}; resume with the run's own seed");
        Checkpoints.ReadTrainedState(checkpointDir, trained);
        if (config.SyncRefModel) Checkpoints.ReadReferenceModel(checkpointDir, referenceModel!);
        GlobalStep = state.GlobalStep;
        if (state.DataPosition < 0 || state.DataPosition > prompts.Count)
            throw new BadInputException($"{checkpointDir}: data position {state.DataPosition} lies past the {prompts.Count} training problems " +
                "of this run; resume with the train_file and num_train_problems the run started with");
        sampler.Restore(state.DataEpoch, state.DataPosition);
        history.Clear();
        history.AddRange(state.LogHistory);
        TruncateLogsAfter(GlobalStep);
    }

    /// <summary>A resumed run that saved no checkpoint starts over: what it logged is dropped.</summary>
    internal void StartOver() => TruncateLogsAfter(0);

    void TruncateLogsAfter(int step)
    {
        log.TruncateAfter(step);
        taskLog?.TruncateAfter(step);
    }

    /// <summary>The trainer owns the models it was given and disposes them with the optimizer.</summary>
    public void Dispose()
    {
        rollouts.Dispose();
        trained.Dispose();
        referenceModel?.Dispose();
        policy.Dispose();
        HeldLock?.Dispose();
    }
}
