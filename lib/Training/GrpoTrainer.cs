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
// Not implemented: vLLM or any generation server, multi-GPU / distributed training, Liger kernels (the chunked LM
// head above plays their part); reward models, async or normalize_then_sum rewards; tools, multi-turn rollouts,
// vision-language models; loss types cispo, sapo, luspo, vespo, sequence-level importance sampling (GSPO),
// two-sided clipping (delta), top_entropy_quantile, the entropy bonus, importance-sampling correction for a separate
// generator, sync_ref_model, disable_dropout; min_p and repetition_penalty in sampling.
using System.Diagnostics;
using Grpo.Model;
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
    readonly IReadOnlyList<TrainingPrompt> prompts;
    readonly IReadOnlyList<RewardFunction> rewardFunctions;
    readonly double[] rewardWeights;
    readonly TokenSpec tokens;
    readonly RunFolder run;
    readonly RunLog log;
    readonly ITaskLog? taskLog;   // the task's sample files and extra metrics; null: the task keeps nothing
    readonly string tokenizerDir;
    readonly List<(string Name, Parameter Parameter)> trainable;
    // float32 master copies of bf16/fp16 trained parameters: AdamW updates these and the model gets them rounded
    // (small updates would otherwise vanish in bf16 rounding). Null when the trained parameters are float32.
    readonly List<(string Name, Parameter Parameter)>? masters;
    readonly AdamW optimizer;
    readonly LearningRateSchedule schedule;
    readonly PromptSampler sampler;
    readonly List<Dictionary<string, double>> history = [];

    public int GlobalStep { get; private set; }
    public GrpoConfig Config => config;
    public Qwen2ForCausalLM Policy => policy;
    public LoraAdapters? Lora => lora;
    public RunFolder Run => run;
    /// <summary>The parameters the optimizer trains (LoRA adapters, or every weight), with their gradients after a step.</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> TrainedParameters => trainable;

    /// <summary>Raised as each part of a step ends: "generation", "reference log-probs", "update" (benchmarks read the
    /// process's peak memory per part).</summary>
    public event Action<string>? PhaseEnded;

    /// <summary>
    /// policy: the model to train (with LoRA already applied when <paramref name="lora"/> is given).
    /// referenceModel: a frozen copy for the KL term when beta > 0 and there is no LoRA. tokenizerDir: where the
    /// tokenizer files that checkpoints copy live (usually the base model folder). taskLog: what the task keeps of each
    /// scored generation batch (see <see cref="ITaskLog"/>).
    /// </summary>
    public GrpoTrainer(GrpoConfig config, Qwen2ForCausalLM policy, IReadOnlyList<TrainingPrompt> prompts,
        IReadOnlyList<RewardFunction> rewardFunctions, TokenSpec tokens, RunFolder run, string tokenizerDir,
        LoraAdapters? lora = null, Qwen2ForCausalLM? referenceModel = null, ITaskLog? taskLog = null)
    {
        this.config = config.Validated();
        if (config.Beta > 0 && lora is null && referenceModel is null)
            throw new ArgumentException("beta > 0 needs a reference model: pass a frozen copy or use LoRA");
        if (rewardFunctions.Count == 0) throw new ArgumentException("at least one reward function is needed");
        if (prompts.Count == 0) throw new ArgumentException("no training prompts");
        this.policy = policy;
        this.referenceModel = referenceModel;
        this.lora = lora;
        this.prompts = prompts;
        this.rewardFunctions = rewardFunctions;
        rewardWeights = config.RewardWeights?.ToArray() ?? Enumerable.Repeat(1.0, rewardFunctions.Count).ToArray();
        if (rewardWeights.Length != rewardFunctions.Count)
            throw new ArgumentException($"{rewardWeights.Length} reward weights for {rewardFunctions.Count} reward functions");
        this.tokens = tokens;
        this.run = run;
        this.tokenizerDir = tokenizerDir;
        this.taskLog = taskLog;
        run.Create();
        log = new RunLog(run);
        if (referenceModel is not null)
            foreach (var p in referenceModel.parameters()) p.requires_grad = false;
        policy.GradientCheckpointing = config.GradientCheckpointing;

        trainable = lora is not null
            ? lora.NamedParameters().ToList()
            : policy.named_parameters().Where(p => p.parameter.requires_grad).Select(p => (p.name, p.parameter)).ToList();
        if (trainable.Any(p => p.Parameter.dtype != ScalarType.Float32))
        {
            using var _ = no_grad();
            masters = trainable.Select(p => (p.Name, new Parameter(p.Parameter.detach().to(ScalarType.Float32).clone(), requires_grad: true))).ToList();
        }
        optimizer = new AdamW(Optimized.Select(p => p.Parameter), config.LearningRate,
            config.AdamBeta1, config.AdamBeta2, config.AdamEpsilon, config.WeightDecay);
        schedule = LearningRateSchedule.FromConfig(config);
        sampler = new PromptSampler(prompts.Count, config.Seed);
    }

    /// <summary>The parameters AdamW updates: the float32 masters when there are any, else the model's own.</summary>
    IReadOnlyList<(string Name, Parameter Parameter)> Optimized => masters ?? trainable;

    // ------------------------------------------------------------------ the loop

    /// <summary>Runs until max_steps (or cancellation), reporting each optimizer step.</summary>
    public void Train(IProgress<GrpoProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (GlobalStep == 0)
        {
            config.Save(run.ConfigPath);
            log.Info($"GRPO start: model {config.ModelNameOrPath}, {prompts.Count} prompts, {trainable.Sum(p => p.Parameter.numel()):N0} trained parameters" +
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
        var (generated, kept, draws) = GenerateAndScore();
        double generationTime = watch.Elapsed.TotalSeconds;
        PhaseEnded?.Invoke("generation");
        // Logged: everything generated (what the policy does). Trained on: the kept groups (all of them without
        // dynamic_sampling).
        var scored = Scored(generated.Completions, generated.Scores, GlobalStep + 1);
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

                bool first = iteration == 0;
                double stepTime = first ? stepWatch.Elapsed.TotalSeconds : updateTime;
                var metrics = StepMetrics(generated.Completions, generated.Scores, signal, update, first ? generationTime : 0,
                    first ? referenceTime : 0, updateTime, stepTime);
                if (config.DynamicSampling)
                {
                    metrics.Add(new("dynamic_sampling/draws", draws));
                    metrics.Add(new("dynamic_sampling/groups_trained", completions.Count / config.NumGenerations));
                }
                metrics.AddRange(taskMetrics);
                log.Metrics(GlobalStep, metrics);
                history.Add(metrics.Prepend(new("step", GlobalStep)).ToDictionary(kv => kv.Key, kv => kv.Value));
                log.Info(Describe(metrics));

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
        var completions = new List<Completion>();
        var scores = new List<Scores>();
        var keptRows = new List<int>();
        do
        {
            var batch = sampler.Next(b).Select(i => prompts[i]).ToList();
            var drawn = Generate(batch, draws++);
            var drawnScores = Score(drawn);
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
        var promptIds = new List<int[]>();
        var owners = new List<TrainingPrompt>();
        foreach (var p in batch)
        {
            // As TRL: prompts longer than max_prompt_length keep their last tokens.
            var ids = p.Ids.Length > config.MaxPromptLength ? p.Ids[^config.MaxPromptLength..] : p.Ids;
            for (int g = 0; g < config.NumGenerations; g++) { promptIds.Add(ids); owners.Add(p); }
        }
        var options = new GenerationOptions(config.MaxCompletionLength, Greedy: false, Temperature: config.Temperature,
            TopP: config.TopP, TopK: config.TopK, Seed: (long)config.Seed * 1_000_003L + GlobalStep + draw * 1_000_000_007L);
        var generated = Grpo.Model.Generator.Generate(policy, promptIds, options, tokens.EosIds, tokens.PadId);
        return generated.Select((g, i) => new Completion(owners[i], g.PromptIds, g.Ids, g.Finished)).ToList();
    }

    // ------------------------------------------------------------------ score

    sealed record Scores(double[] Total, double[][] PerFunction, string[] Texts, int[] TextTokens)
    {
        public static Scores Concat(IReadOnlyList<Scores> parts) => parts.Count == 1 ? parts[0] : new(
            parts.SelectMany(p => p.Total).ToArray(),
            Enumerable.Range(0, parts[0].PerFunction.Length).Select(f => parts.SelectMany(p => p.PerFunction[f]).ToArray()).ToArray(),
            parts.SelectMany(p => p.Texts).ToArray(), parts.SelectMany(p => p.TextTokens).ToArray());

        public Scores Select(IReadOnlyList<int> rows) => new(rows.Select(i => Total[i]).ToArray(),
            PerFunction.Select(f => rows.Select(i => f[i]).ToArray()).ToArray(),
            rows.Select(i => Texts[i]).ToArray(), rows.Select(i => TextTokens[i]).ToArray());
    }

    Scores Score(IReadOnlyList<Completion> completions)
    {
        var bodies = completions.Select(c => c.Ids.Where(t => !tokens.EosIds.Contains(t) && t != tokens.PadId).ToList()).ToArray();
        var texts = bodies.Select(ids => tokens.Decode(ids)).ToArray();
        var per = rewardFunctions.Select(f => completions.Select((c, i) => f.Score(new RewardInput(c.Prompt, texts[i], c.Ids))).ToArray()).ToArray();
        var total = new double[completions.Count];
        for (int f = 0; f < per.Length; f++)
            for (int i = 0; i < total.Length; i++) total[i] += rewardWeights[f] * per[f][i];
        return new Scores(total, per, texts, bodies.Select(ids => ids.Count).ToArray());
    }

    /// <summary>The batch as the task log sees it (completions are prompt-major, so row i belongs to prompt i / G).</summary>
    ScoredBatch Scored(IReadOnlyList<Completion> completions, Scores scores, int step) =>
        new(step, rewardFunctions.Select(f => f.Name).ToList(), completions.Select((c, i) => new ScoredCompletion(c.Prompt,
            i / config.NumGenerations, scores.Texts[i], scores.TextTokens[i], scores.Total[i], scores.PerFunction.Select(f => f[i]).ToList())).ToList());

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
            .Select(cut => MicroBatch.Build(cut.Select(r => new UpdateRow(completions[r].PromptIds, completions[r].Ids, advantages[r])).ToList(),
                tokens, config.MaskTruncatedCompletions, policy.Device))
            .ToList();

    // ------------------------------------------------------------------ loss and update

    sealed record UpdateResult(double Loss, double GradNorm, double Kl, double Entropy, double ClipLow, double ClipHigh,
        double LearningRate, bool Skipped);

    UpdateResult Update(IReadOnlyList<MicroBatch> microBatches, int totalRows)
    {
        double lr = schedule.LearningRate(GlobalStep);
        optimizer.LearningRate = lr;
        if (totalRows == 0) return new UpdateResult(0, 0, 0, 0, 0, 0, lr, Skipped: true);

        policy.train();
        lora?.SeedDropout(config.Seed + GlobalStep);   // reproducible, also after a resume
        optimizer.ZeroGrad();
        if (masters is not null) foreach (var (_, p) in trainable) p.grad?.zero_();
        double totalTokens = microBatches.Sum(mb => mb.TokenCount);
        double loss = 0, kl = 0, entropy = 0, low = 0, high = 0;
        foreach (var mb in microBatches)
        {
            using var scope = NewDisposeScope();
            var (logp, ent) = LogProbsAndEntropy(policy, mb, withEntropy: true);
            var old = mb.OldLogProbs ?? logp.detach();
            var perToken = GrpoLoss.ClippedSurrogate(logp, old, mb.Advantages, config.Epsilon, config.EffectiveEpsilonHigh);
            Tensor? klTokens = null;
            if (config.Beta > 0)
            {
                klTokens = GrpoLoss.KlK3(logp, mb.RefLogProbs!);
                perToken = perToken.Plus(klTokens.mul(HeldScalars.Of(config.Beta)));
            }
            var mbLoss = AggregateShare(perToken, mb, totalRows, microBatches.Count, totalTokens);
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
        if (masters is not null) CopyGradientsToMasters();
        double gradNorm = torch.nn.utils.clip_grad_norm_(Optimized.Select(p => p.Parameter), config.MaxGradNorm);
        optimizer.Step();
        if (masters is not null) CopyMastersToModel();
        double tokens = Math.Max(1.0, totalTokens);
        return new UpdateResult(loss, gradNorm, kl, entropy, low / tokens, high / tokens, lr, Skipped: false);
    }

    void CopyGradientsToMasters()
    {
        using var _ = no_grad();
        for (int i = 0; i < trainable.Count; i++)
        {
            var (model, master) = (trainable[i].Parameter, masters![i].Parameter);
            if (model.grad is null) continue;
            if (master.grad is null) master.grad = zeros_like(master);
            master.grad!.copy_(model.grad);
        }
    }

    void CopyMastersToModel()
    {
        using var _ = no_grad();
        for (int i = 0; i < trainable.Count; i++) trainable[i].Parameter.copy_(masters![i].Parameter);
    }

    /// <summary>This micro-batch's part of the step loss, so that the sum over micro-batches is TRL's loss of the
    /// whole batch: grpo and dr_grpo weight by the micro-batch's share of sequences, bnpo averages micro-batch token
    /// means, dapo divides by the tokens of the whole batch.</summary>
    Tensor AggregateShare(Tensor perToken, MicroBatch mb, int totalRows, int microBatchCount, double totalTokens)
    {
        using var scalars = HeldScalars.NewScope();
        return config.LossType switch
        {
            "grpo" or "dr_grpo" => GrpoLoss.Aggregate(perToken, mb.CompletionMask, config.LossType, config.MaxCompletionLength, totalTokens)
                                   .mul(scalars.Of((double)mb.Rows / totalRows)),
            "bnpo" => GrpoLoss.Aggregate(perToken, mb.CompletionMask, "bnpo", config.MaxCompletionLength, totalTokens, microBatchCount),
            "dapo" => GrpoLoss.Aggregate(perToken, mb.CompletionMask, "dapo", config.MaxCompletionLength, totalTokens),
            _ => throw new BadInputException($"loss_type must be grpo, dr_grpo, bnpo or dapo (got '{config.LossType}')"),
        };
    }

    // ------------------------------------------------------------------ log

    List<KeyValuePair<string, double>> StepMetrics(IReadOnlyList<Completion> completions, Scores scores,
        AdvantageResult adv, UpdateResult u, double generationTime, double referenceTime, double updateTime, double stepTime)
    {
        var m = new List<KeyValuePair<string, double>>
        {
            new("reward", scores.Total.Average()),
            new("reward_std", adv.MeanGroupStd),
        };
        for (int f = 0; f < rewardFunctions.Count; f++)
            m.Add(new($"rewards/{rewardFunctions[f].Name}/mean", scores.PerFunction[f].Average()));
        m.Add(new("frac_reward_zero_std", adv.FracZeroStd));
        if (config.Beta > 0) m.Add(new("kl", u.Kl));
        var lengths = completions.Select(c => (double)c.Ids.Length).ToArray();
        var terminated = completions.Where(c => c.Finished).Select(c => (double)c.Ids.Length).ToArray();
        m.Add(new("completions/mean_length", lengths.Average()));
        m.Add(new("completions/min_length", lengths.Min()));
        m.Add(new("completions/max_length", lengths.Max()));
        m.Add(new("completions/mean_terminated_length", terminated.Length > 0 ? terminated.Average() : 0));
        m.Add(new("completions/clipped_ratio", completions.Count(c => !c.Finished) / (double)completions.Count));
        m.Add(new("clip_ratio", u.ClipLow + u.ClipHigh));
        m.Add(new("clip_ratio/low_mean", u.ClipLow));
        m.Add(new("clip_ratio/high_mean", u.ClipHigh));
        m.Add(new("entropy", u.Entropy));
        m.Add(new("learning_rate", u.LearningRate));
        m.Add(new("loss", u.Loss));
        m.Add(new("grad_norm", u.GradNorm));
        m.Add(new("update_skipped", u.Skipped ? 1 : 0));
        m.Add(new("step_time", stepTime));
        m.Add(new("time/generation", generationTime));
        m.Add(new("time/reference", referenceTime));
        m.Add(new("time/update", updateTime));
        // Generated completion tokens per second of the whole step (the generation batch counts on its first step).
        m.Add(new("tokens_per_second", generationTime > 0 ? lengths.Sum() / stepTime : 0));
        using (var self = Process.GetCurrentProcess()) m.Add(new("process_memory_mb", self.WorkingSet64 / 1048576.0));
        return m;
    }

    string Describe(IReadOnlyList<KeyValuePair<string, double>> m)
    {
        double Get(string k) => m.FirstOrDefault(kv => kv.Key == k).Value;
        var parts = new List<string> { $"step {GlobalStep}/{config.MaxSteps}", $"reward {Get("reward"):F3} (std {Get("reward_std"):F3})" };
        foreach (var f in rewardFunctions) parts.Add($"{f.Name} {Get($"rewards/{f.Name}/mean"):F3}");
        if (config.Beta > 0) parts.Add($"kl {Get("kl"):G3}");
        parts.Add($"loss {Get("loss"):G4}");
        parts.Add($"grad_norm {Get("grad_norm"):G3}");
        parts.Add($"len {Get("completions/mean_length"):F1} (clipped {Get("completions/clipped_ratio"):P0})");
        parts.Add($"entropy {Get("entropy"):F3}");
        parts.Add($"lr {Get("learning_rate"):G3}");
        parts.Add($"{Get("step_time"):F2}s (gen {Get("time/generation"):F2}, ref {Get("time/reference"):F2}, update {Get("time/update"):F2})");
        parts.Add($"{Get("tokens_per_second"):F0} tok/s");
        parts.Add($"rss {Get("process_memory_mb"):F0} MB");
        return string.Join(" | ", parts);
    }

    // ------------------------------------------------------------------ checkpoints

    /// <summary>Writes checkpoints/checkpoint-N (atomic): HF model folder (merged if LoRA) + tokenizer files,
    /// adapter, optimizer moments, trainer state.</summary>
    public string SaveCheckpoint() => Checkpoints.Save(run, GlobalStep, dir =>
    {
        if (lora is not null)
        {
            lora.SaveMerged(dir, tokenizerDir);
            lora.Save(Path.Combine(dir, "adapter"), config.ModelNameOrPath);
        }
        else policy.SavePretrained(dir, tokenizerDir);
        Checkpoints.SaveOptimizer(Path.Combine(dir, Checkpoints.OptimizerFile), optimizer, Optimized);
        if (masters is not null)
            SafeTensors.Write(Path.Combine(dir, MasterWeightsFile), masters.Select(m => (m.Name, (Tensor)m.Parameter)));
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
        Checkpoints.LoadOptimizer(Path.Combine(checkpointDir, Checkpoints.OptimizerFile), optimizer, Optimized);
        if (masters is not null) LoadMasters(Path.Combine(checkpointDir, MasterWeightsFile));
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

    public const string MasterWeightsFile = "master_weights.safetensors";

    void LoadMasters(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"float32 master weights not found: {path}", path);
        var byName = masters!.ToDictionary(m => m.Name, m => m.Parameter);
        int loaded = 0;
        using var _ = no_grad();
        SafeTensors.ReadTensors(path, (entry, t) =>
        {
            if (!byName.TryGetValue(entry.Name, out var p)) throw new InvalidDataException($"{path}: \"{entry.Name}\" is not a trained parameter");
            p.copy_(t);
            loaded++;
        });
        if (loaded != masters!.Count) throw new InvalidDataException($"{path}: {loaded} of {masters.Count} master weights");
        CopyMastersToModel();
    }

    /// <summary>The trainer owns the models it was given and disposes them with the optimizer.</summary>
    public void Dispose()
    {
        optimizer.Dispose();
        if (masters is not null) foreach (var (_, m) in masters) m.Dispose();
        referenceModel?.Dispose();
        policy.Dispose();
    }

    // ------------------------------------------------------------------ batch tensors

    sealed record Completion(TrainingPrompt Prompt, int[] PromptIds, int[] Ids, bool Finished);
}
