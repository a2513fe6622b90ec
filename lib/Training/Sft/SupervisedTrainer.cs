// Cold-start supervised fine-tuning: teacher forcing with the loss on completion tokens only.
using System.Diagnostics;
using Grpo.Model;
using Grpo.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Grpo.Training.Sft;

public static class SupervisedTrainer
{
    /// <summary>Trains <paramref name="model"/> in place on shuffled batches; returns the mean loss of the last log window.</summary>
    public static double Train(Qwen2ForCausalLM model, IReadOnlyList<SftExample> examples, SftConfig config,
        int padId, IProgress<SftProgress>? progress = null)
    {
        if (examples.Count == 0) throw new ArgumentException("no supervised examples", nameof(examples));
        model.train();
        model.GradientCheckpointing = config.GradientCheckpointing;
        var parameters = model.parameters().Where(p => p.requires_grad).ToList();
        using var optimizer = new AdamW(parameters, lr: config.LearningRate, weightDecay: config.WeightDecay);
        var schedule = new LearningRateSchedule("cosine", config.LearningRate, config.WarmupSteps, config.MaxSteps);
        var device = parameters[0].device;
        var rng = new Random(config.Seed);
        var order = Enumerable.Range(0, examples.Count).ToArray();
        int cursor = order.Length;
        var clock = Stopwatch.StartNew();
        double windowLoss = 0, lastLoss = double.NaN;
        int windowSteps = 0;
        long windowTokens = 0;
        double windowStart = 0;

        for (int step = 1; step <= config.MaxSteps; step++)
        {
            if (config.MaxMinutes > 0 && clock.Elapsed.TotalMinutes >= config.MaxMinutes) break;
            var batch = new List<SftExample>(config.BatchSize);
            for (int i = 0; i < config.BatchSize; i++)
            {
                if (cursor == order.Length) { rng.Shuffle(order); cursor = 0; }
                batch.Add(examples[order[cursor++]]);
            }
            double lr = schedule.LearningRate(step - 1);
            optimizer.LearningRate = lr;

            using (var scope = NewDisposeScope())
            {
                var (inputIds, mask, labels) = Collate(batch, padId, device);
                var hidden = model.HiddenStates(inputIds, mask, Positions.FromAttentionMask(mask), null);
                var loss = CompletionLoss(model, hidden, labels, config.LogitsChunkSize);
                optimizer.ZeroGrad();
                loss.backward();
                nn.utils.clip_grad_norm_(parameters, config.MaxGradNorm);
                optimizer.Step();
                windowLoss += loss.item<float>();
                windowTokens += (long)mask.sum().item<long>();
            }
            windowSteps++;
            if (step % config.LogEvery == 0 || step == config.MaxSteps)
            {
                double now = clock.Elapsed.TotalSeconds;
                lastLoss = windowLoss / windowSteps;
                progress?.Report(new SftProgress(step, config.MaxSteps, lastLoss, lr, windowTokens / Math.Max(now - windowStart, 1e-9), now));
                windowLoss = 0; windowSteps = 0; windowTokens = 0; windowStart = now;
            }
        }
        model.eval();
        return double.IsNaN(lastLoss) && windowSteps > 0 ? windowLoss / windowSteps : lastLoss;
    }

    /// <summary>Left-pads prompt+completion rows (as generation does) and marks only completion tokens as labels.</summary>
    public static (Tensor InputIds, Tensor AttentionMask, Tensor Labels) Collate(IReadOnlyList<SftExample> batch, int padId, Device device)
    {
        int width = batch.Max(e => e.PromptIds.Length + e.CompletionIds.Length);
        var ids = new long[batch.Count * width];
        var mask = new long[batch.Count * width];
        var labels = new long[batch.Count * width];
        Array.Fill(labels, IgnoreIndex);
        for (int r = 0; r < batch.Count; r++)
        {
            var e = batch[r];
            int start = r * width + LeftPadding.Fill(ids.AsSpan(r * width, width), mask.AsSpan(r * width, width),
                [.. e.PromptIds, .. e.CompletionIds], padId);
            for (int i = 0; i < e.CompletionIds.Length; i++) labels[start + e.PromptIds.Length + i] = e.CompletionIds[i];
        }
        long[] shape = [batch.Count, width];
        return (tensor(ids, shape, device: device), tensor(mask, shape, device: device), tensor(labels, shape, device: device));
    }

    public const long IgnoreIndex = -100;

    /// <summary>The same loss from the final hidden states [B,T,H], with the LM head run over chunks of the labelled
    /// positions only (no [B,T,V] logits).</summary>
    public static Tensor CompletionLoss(Qwen2ForCausalLM model, Tensor hidden, Tensor labels, int logitsChunkSize)
    {
        using var scope = NewDisposeScope();
        var targets = labels[.., 1..].reshape(-1);
        var labelled = targets.ne(HeldScalars.Of(IgnoreIndex)).nonzero().squeeze(1);
        var h = hidden[.., ..^1, ..].reshape(-1, hidden.shape[^1]).index_select(0, labelled);
        var (logp, _) = ChunkedLogProbs.Compute(h, model.LmHeadWeight, targets.index_select(0, labelled), 1.0, logitsChunkSize);
        return logp.mean().neg().MoveToOuterDisposeScope();
    }

    /// <summary>As transformers' causal LM loss: logits at t predict labels at t+1; mean over labelled tokens, in float32.</summary>
    public static Tensor CompletionLoss(Tensor logits, Tensor labels)
    {
        var shifted = logits[.., ..^1, ..].to(ScalarType.Float32);
        var targets = labels[.., 1..];
        return nn.functional.cross_entropy(shifted.reshape(-1, shifted.shape[2]), targets.reshape(-1), ignore_index: IgnoreIndex);
    }
}
