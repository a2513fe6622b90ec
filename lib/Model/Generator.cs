// Batched generation with a preallocated KV cache: left-padded prompts, greedy or sampled (temperature, top-k, top-p,
// seed), per-row stop on any eos id, as transformers' generate does it. One host sync per step (the all-done check).
using Grpo.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Grpo.Model;

public sealed record GenerationOptions(int MaxNewTokens, bool Greedy = false, float Temperature = 1f,
    float TopP = 1f, int TopK = 0, long? Seed = null);

/// <summary>Ids = generated tokens (the eos included when produced, no padding); LogProbs[i] = log-prob of Ids[i].</summary>
public sealed record GeneratedSequence(int[] PromptIds, int[] Ids, float[] LogProbs, bool Finished);

public static class Generator
{
    public static IReadOnlyList<GeneratedSequence> Generate(Qwen2ForCausalLM model, IReadOnlyList<int[]> prompts,
        GenerationOptions options, IReadOnlyList<int> eosIds, int padId)
    {
        if (prompts.Count == 0) return [];
        CheckArguments(model.Config, prompts, options, padId);
        if (options.MaxNewTokens == 0) return prompts.Select(p => new GeneratedSequence(p, [], [], false)).ToList();

        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var device = model.Device;
        int b = prompts.Count, p = prompts.Max(x => x.Length), n = options.MaxNewTokens;

        // Left padding, as transformers expects for decoder-only generation.
        var idsHost = new long[b * p];
        var maskHost = new long[b * (p + n)];
        for (int i = 0; i < b; i++)
        {
            int off = p - prompts[i].Length;
            for (int j = 0; j < p; j++)
            {
                idsHost[i * p + j] = j < off ? padId : prompts[i][j - off];
                maskHost[i * (p + n) + j] = j < off ? 0 : 1;
            }
        }
        var inputIds = tensor(idsHost, [b, p], device: device);
        var mask = tensor(maskHost, [b, p + n], device: device);          // grows by one column per step
        var eos = tensor(eosIds.Select(x => (long)x).ToArray(), device: device);
        var tokens = full([b, n], HeldScalars.Of(padId), ScalarType.Int64, device);
        var logProbs = zeros([b, n], ScalarType.Float32, device);
        var finished = zeros([b], ScalarType.Bool, device);
        var pad = full([b], HeldScalars.Of(padId), ScalarType.Int64, device);
        var gen = options.Seed is long seed ? new torch.Generator((ulong)seed, device) : null;
        float temperature = options.Greedy ? 1f : options.Temperature;
        var temperatureScalar = HeldScalars.Of(temperature);

        using var cache = new KvCache(model.Config, b, p + n, model.Dtype, device);
        var positions = Positions.FromAttentionMask(mask.narrow(1, 0, p));
        var hidden = model.HiddenStates(inputIds, mask, positions, cache);
        var logits = model.Logits(hidden.narrow(1, p - 1, 1)).squeeze(1).to(ScalarType.Float32);
        // Position of the next token of each row = number of real tokens so far (prompt real tokens, then +1 per step).
        var nextPos = mask.narrow(1, 0, p).sum(1);

        int steps = 0;
        for (int s = 0; s < n; s++)
        {
            using var stepScope = NewDisposeScope();
            var scores = logits.div(temperatureScalar);
            var lp = nn.functional.log_softmax(scores, -1);
            var next = options.Greedy ? scores.argmax(-1) : Sample(scores, options, gen);
            var chosenLp = lp.gather(-1, next.unsqueeze(-1)).squeeze(-1);
            // Finished rows emit pad (log-prob 0) and stay finished.
            next = where(finished, pad, next);
            chosenLp = chosenLp.masked_fill(finished, HeldScalars.Zero);
            tokens.select(1, s).copy_(next);
            logProbs.select(1, s).copy_(chosenLp);
            finished.logical_or_(isin(next, eos));
            mask.select(1, p + s).fill_(HeldScalars.One);
            steps = s + 1;
            if (s == n - 1 || finished.all().item<bool>()) break;

            var h = model.HiddenStates(next.unsqueeze(1), mask, nextPos.unsqueeze(1), cache);
            nextPos.add_(HeldScalars.One, alpha: HeldScalars.One);
            var newLogits = model.Logits(h).squeeze(1).to(ScalarType.Float32);
            logits.Dispose();
            logits = newLogits.MoveToOuterDisposeScope();
        }

        var tokHost = tokens.narrow(1, 0, steps).cpu().data<long>().ToArray();
        var lpHost = logProbs.narrow(1, 0, steps).cpu().data<float>().ToArray();
        var result = new List<GeneratedSequence>(b);
        var eosSet = eosIds.ToHashSet();
        for (int i = 0; i < b; i++)
        {
            var ids = new List<int>(); var lps = new List<float>();
            bool done = false;
            for (int s = 0; s < steps && !done; s++)
            {
                var id = (int)tokHost[i * steps + s];
                ids.Add(id); lps.Add(lpHost[i * steps + s]);
                done = eosSet.Contains(id);
            }
            result.Add(new GeneratedSequence(prompts[i], ids.ToArray(), lps.ToArray(), done));
        }
        return result;
    }

    /// <summary>Everything that would otherwise fail deep inside libtorch, or late after minutes of work: ids outside
    /// the vocabulary, more positions than the model has, sampling settings out of range.</summary>
    static void CheckArguments(Qwen2Config config, IReadOnlyList<int[]> prompts, GenerationOptions o, int padId)
    {
        if (o.MaxNewTokens < 0) throw new BadInputException($"max_new_tokens must be >= 0 (got {o.MaxNewTokens})");
        for (int i = 0; i < prompts.Count; i++)
        {
            if (prompts[i].Length == 0) throw new BadInputException($"prompt {i} is empty: every prompt needs at least one token");
            foreach (var id in prompts[i])
                if (id < 0 || id >= config.VocabSize)
                    throw new BadInputException($"prompt {i}: token id {id} is outside the model's vocabulary [0, {config.VocabSize})");
        }
        if (padId < 0 || padId >= config.VocabSize)
            throw new BadInputException($"pad token id {padId} is outside the model's vocabulary [0, {config.VocabSize})");
        int longest = prompts.Max(p => p.Length);
        if ((long)longest + o.MaxNewTokens > config.MaxPositionEmbeddings)
            throw new BadInputException($"a prompt of {longest} tokens plus max_new_tokens {o.MaxNewTokens} needs {(long)longest + o.MaxNewTokens} " +
                $"positions, but the model has max_position_embeddings {config.MaxPositionEmbeddings}: lower max_new_tokens to " +
                $"{Math.Max(0, config.MaxPositionEmbeddings - longest)} or less");
        if (o.Greedy) return;
        if (!(float.IsFinite(o.Temperature) && o.Temperature > 0))
            throw new BadInputException($"temperature must be a number > 0 when sampling (got {o.Temperature}); use greedy decoding instead of 0");
        if (o.TopP is not (> 0 and <= 1)) throw new BadInputException($"top_p must be in (0, 1] (got {o.TopP})");
        if (o.TopK < 0) throw new BadInputException($"top_k must be >= 0 (0 = no limit; got {o.TopK})");
    }

    // As transformers' logits warpers, in this order: top-k, then top-p (on temperature-scaled scores), then sample.
    static Tensor Sample(Tensor scores, GenerationOptions o, torch.Generator? gen)
    {
        using var scope = NewDisposeScope();
        var minusInfinity = HeldScalars.Of(float.NegativeInfinity);
        var s = scores;
        if (o.TopK > 0 && o.TopK < s.shape[^1])
        {
            var kth = s.topk(o.TopK, -1).values.narrow(-1, o.TopK - 1, 1);
            s = s.masked_fill(s.lt(kth), minusInfinity);
        }
        if (o.TopP < 1f)
        {
            // TopPLogitsWarper: sort ascending, drop tokens whose cumulative probability <= 1 - top_p, keep the top one.
            var (sorted, idx) = s.sort(-1, descending: false);
            var cum = sorted.softmax(-1).cumsum(-1);
            var remove = cum.le(HeldScalars.Of(1 - o.TopP));
            remove.select(-1, remove.shape[^1] - 1).fill_(HeldScalars.Zero);   // false
            var removeOrig = remove.scatter(-1, idx, remove);
            s = s.masked_fill(removeOrig, minusInfinity);
        }
        var probs = s.softmax(-1);
        return multinomial(probs, 1, generator: gen).squeeze(-1).MoveToOuterDisposeScope();
    }
}
