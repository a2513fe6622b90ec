// Batched generation with a preallocated KV cache: left-padded prompts, greedy or sampled (temperature, top-k, top-p,
// seed), per-row stop on any eos id, as transformers' generate does it. A prompt that several rows share (GRPO's G
// completions, k eval samples) is prefilled once; finished rows leave the batch; attention reads only the filled part
// of the cache. None of that changes a token (TokenSampler's draws are per row). One host sync per step: the chosen
// tokens, which stopping on an eos needs.
using Grpo.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Grpo.Model;

/// <param name="Seed">Sampling seed; null = a fresh one. Row i draws from stream (Seed, streams[i]) (TokenSampler).</param>
/// <param name="LogProbs">Also return each chosen token's log-prob (log softmax(logits / T), before top-k/top-p).</param>
/// <param name="SharePrompts">Prefill a prompt that several rows carry once. Changes no token; off to measure it.</param>
/// <param name="DropFinishedRows">Stop computing rows that ended. Changes no token; off to measure it.</param>
public sealed record GenerationOptions(int MaxNewTokens, bool Greedy = false, float Temperature = 1f,
    float TopP = 1f, int TopK = 0, long? Seed = null, bool LogProbs = false, bool SharePrompts = true, bool DropFinishedRows = true);

/// <summary>Ids = generated tokens (the eos included when produced, no padding); LogProbs[i] = log-prob of Ids[i]
/// (null unless GenerationOptions.LogProbs).</summary>
public sealed record GeneratedSequence(int[] PromptIds, int[] Ids, float[]? LogProbs, bool Finished);

public static class Generator
{
    /// <summary>streams: the random stream of each row (default: its index), so that rows keep their samples
    /// whatever batch they are generated in.</summary>
    public static IReadOnlyList<GeneratedSequence> Generate(Qwen2ForCausalLM model, IReadOnlyList<int[]> prompts,
        GenerationOptions options, IReadOnlyList<int> eosIds, int padId, IReadOnlyList<long>? streams = null)
    {
        if (prompts.Count == 0) return [];
        CheckArguments(model.Config, prompts, options, padId, streams);
        if (options.MaxNewTokens == 0) return prompts.Select(p => new GeneratedSequence(p, [], options.LogProbs ? [] : null, false)).ToList();

        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var device = model.Device;
        int b = prompts.Count, n = options.MaxNewTokens;
        long seed = options.Seed ?? Random.Shared.NextInt64();
        streams ??= Enumerable.Range(0, b).Select(i => (long)i).ToArray();
        var eos = eosIds.ToHashSet();

        // Prefill: each distinct prompt once, then every row gets its prompt's cache rows and next-token logits.
        var (distinct, promptOfRow) = options.SharePrompts ? Distinct(prompts) : (prompts, Enumerable.Range(0, b).ToArray());
        int p = distinct.Max(x => x.Length);
        using var cache = new KvCache(model.Config, b, p + n, model.Dtype, device, rows: distinct.Count);
        var (inputIds, mask) = LeftPadded(distinct, padId, device);
        var hidden = model.HiddenStates(inputIds, mask, Positions.FromAttentionMask(mask), cache);
        var logits = model.Logits(hidden.narrow(1, p - 1, 1)).squeeze(1);
        if (distinct.Count < b)
        {
            var rowsOfPrompt = tensor(promptOfRow.Select(i => (long)i).ToArray(), device: device);
            cache.SelectRows(rowsOfPrompt);
            logits = logits.index_select(0, rowsOfPrompt);
        }

        // Decode: cache row r holds original row active[r]; rows that ended stay until enough of them can be dropped.
        // What a step needs from the host is on the device before the loop (every step's uniforms, each row's next
        // position), so the one host sync per step is reading the chosen tokens, which stopping needs.
        var active = Enumerable.Range(0, b).ToArray();
        var ids = prompts.Select(_ => new List<int>()).ToArray();
        var finished = new bool[b];
        var logProbSteps = new List<(int[] Rows, Tensor LogProbs)>();
        var uniforms = options.Greedy ? null : UniformTable(seed, streams, n, device);   // [b, n]; row i = original row i
        var positions = tensor(prompts.Select(x => (long)x.Length).ToArray(), [b, 1], device: device);
        for (int step = 0; ; step++)
        {
            using var stepScope = NewDisposeScope();
            var next = uniforms is null ? TokenSampler.Pick(logits, options, []) : TokenSampler.Pick(logits, options, uniforms.select(1, step));
            if (options.LogProbs) logProbSteps.Add((active, TokenSampler.LogProbs(logits, next, options).MoveToOuterDisposeScope()));
            var nextHost = next.cpu().data<long>().ToArray();
            for (int r = 0; r < active.Length; r++)
            {
                int row = active[r];
                if (finished[row]) continue;
                ids[row].Add((int)nextHost[r]);
                finished[row] = eos.Contains((int)nextHost[r]);
            }
            int done = active.Count(row => finished[row]);
            if (step == n - 1 || done == active.Length) break;

            // A quarter of the batch finished: dropping those rows costs one copy of the filled cache, which the
            // cheaper steps that follow repay.
            if (options.DropFinishedRows && done * 4 >= active.Length)
            {
                var keep = Enumerable.Range(0, active.Length).Where(r => !finished[active[r]]).ToArray();
                var keepRows = tensor(keep.Select(r => (long)r).ToArray(), device: device);
                cache.SelectRows(keepRows);
                next = next.index_select(0, keepRows);
                positions = positions.index_select(0, keepRows).MoveToOuterDisposeScope();
                if (uniforms is not null) uniforms = uniforms.index_select(0, keepRows).MoveToOuterDisposeScope();
                active = keep.Select(r => active[r]).ToArray();
            }
            // Positions continue each row's prompt: its real tokens, then one per generated token.
            var h = model.DecodeHiddenStates(next.unsqueeze(1), positions, cache);
            positions.add_(HeldScalars.One, HeldScalars.One);
            var newLogits = model.Logits(h).squeeze(1);
            logits.Dispose();
            logits = newLogits.MoveToOuterDisposeScope();
        }

        var logProbs = options.LogProbs ? GatherLogProbs(logProbSteps, ids) : null;
        return prompts.Select((prompt, i) => new GeneratedSequence(prompt, ids[i].ToArray(), logProbs?[i], finished[i])).ToList();
    }

    /// <summary>Every uniform a generation can draw, [rows, steps] on the device: row i's step s is TokenSampler.Uniform(seed,
    /// streams[i], s). One copy to the device instead of one per step.</summary>
    static Tensor UniformTable(long seed, IReadOnlyList<long> streams, int steps, Device device)
    {
        var table = new float[streams.Count * steps];
        for (int i = 0; i < streams.Count; i++)
            for (int step = 0; step < steps; step++)
                table[i * steps + step] = TokenSampler.Uniform(seed, streams[i], step);
        return tensor(table, [streams.Count, steps], device: device);
    }

    /// <summary>The distinct prompts (first-seen order) and, for each row, the index of its prompt among them.</summary>
    static (IReadOnlyList<int[]> Distinct, int[] PromptOfRow) Distinct(IReadOnlyList<int[]> prompts)
    {
        var index = new Dictionary<int[], int>(SequenceComparer.Instance);
        var distinct = new List<int[]>();
        var promptOfRow = new int[prompts.Count];
        for (int i = 0; i < prompts.Count; i++)
        {
            if (!index.TryGetValue(prompts[i], out var d)) { d = distinct.Count; index[prompts[i]] = d; distinct.Add(prompts[i]); }
            promptOfRow[i] = d;
        }
        return (distinct, promptOfRow);
    }

    /// <summary>The prompts left-padded (LeftPadding) to the longest: ids and the 0/1 mask, [B, longest].</summary>
    static (Tensor Ids, Tensor Mask) LeftPadded(IReadOnlyList<int[]> prompts, int padId, Device device)
    {
        int b = prompts.Count, p = prompts.Max(x => x.Length);
        var ids = new long[b * p];
        var mask = new long[b * p];
        for (int i = 0; i < b; i++)
            LeftPadding.Fill(ids.AsSpan(i * p, p), mask.AsSpan(i * p, p), prompts[i], padId);
        return (tensor(ids, [b, p], device: device), tensor(mask, [b, p], device: device));
    }

    /// <summary>Per row, the log-probs of its tokens: step s of a row is in step s's tensor at the row's place then.</summary>
    static float[][] GatherLogProbs(List<(int[] Rows, Tensor LogProbs)> steps, List<int>[] ids)
    {
        var result = ids.Select(x => new float[x.Count]).ToArray();
        using var all = cat(steps.Select(st => st.LogProbs).ToList(), 0);   // one copy to the host, not one per step
        var host = all.cpu().data<float>().ToArray();
        int offset = 0;
        for (int s = 0; s < steps.Count; s++)
        {
            var rows = steps[s].Rows;
            for (int r = 0; r < rows.Length; r++)
                if (s < result[rows[r]].Length) result[rows[r]][s] = host[offset + r];
            offset += rows.Length;
        }
        return result;
    }

    sealed class SequenceComparer : IEqualityComparer<int[]>
    {
        public static readonly SequenceComparer Instance = new();
        public bool Equals(int[]? a, int[]? b) => a is not null && b is not null && a.AsSpan().SequenceEqual(b);
        public int GetHashCode(int[] a)
        {
            var h = new HashCode();
            foreach (var x in a) h.Add(x);
            return h.ToHashCode();
        }
    }

    /// <summary>Everything that would otherwise fail deep inside libtorch, or late after minutes of work: ids outside
    /// the vocabulary, more positions than the model has, sampling settings out of range.</summary>
    static void CheckArguments(Qwen2Config config, IReadOnlyList<int[]> prompts, GenerationOptions o, int padId, IReadOnlyList<long>? streams)
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
        if (streams is not null && streams.Count != prompts.Count)
            throw new ArgumentException($"{streams.Count} random streams for {prompts.Count} prompts");
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
}
