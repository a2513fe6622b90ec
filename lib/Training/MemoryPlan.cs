// The peak memory of a GRPO step, by part, from a model's config.json shape and a GrpoConfig: arithmetic only, no
// torch. Each term counts what this code keeps alive at that moment of the step (the derivation, and the check of the
// sum against measured peak RSS, are in docs/memory-plan.md). A step's phases follow one another; the peak is the
// largest phase, and every phase also holds the persistent parts (runtime, weights, trained state, reference model).
using Grpo.Model;

namespace Grpo.Training;

/// <summary>One part of a phase, in bytes; Phase is <see cref="MemoryPlan.Persistent"/> for what every phase holds.</summary>
public sealed record MemoryPart(string Phase, string Name, long Bytes, string Detail);

/// <summary>A phase's total: the persistent parts plus its own.</summary>
public sealed record MemoryPhase(string Name, long Bytes);

public sealed record MemoryPlanOptions
{
    /// <summary>Tokens of the longest prompt; null: max_prompt_length (an upper bound).</summary>
    public int? PromptLength { get; init; }
    /// <summary>What the process holds before any model; null: <see cref="MemoryPlan.CpuRuntimeBytes"/> on the CPU,
    /// <see cref="MemoryPlan.CudaContextBytes"/> on CUDA.</summary>
    public long? RuntimeBytes { get; init; }
    /// <summary>Prompts the task keeps tokenized in host memory beside its tokenizer (counted on the CPU only); null for
    /// a task without a tokenizer (--synthetic-token).</summary>
    public int? TokenizedPrompts { get; init; }
}

public sealed class MemoryPlan
{
    public const string Persistent = "persistent";

    /// <summary>Peak RSS of a process that loads libtorch and runs one op (`grpo torch-info`): .NET runtime + libtorch.
    /// Measured with /usr/bin/time on the project's machine, 2026-11-30: 163,336-163,828 KiB over three runs.</summary>
    public const long CpuRuntimeBytes = 160L << 20;

    /// <summary>The CUDA context and cuBLAS workspaces on the GPU. Not measured here (no GPU): an allowance.</summary>
    public const long CudaContextBytes = 1L << 30;

    /// <summary>A tokenizer in managed memory, as a line through two measurements (peak RSS of `grpo tokenize` minus
    /// that of `grpo --help`, 49,160-49,612 KiB, three runs each, 2026-11-30): the embedded tiny model's, 713 entries,
    /// 59,104-59,412 KiB; Qwen2.5's, 151,665 entries, 218,764-231,264 KiB. About 10 MiB plus 1.1 KB per vocabulary entry.</summary>
    public static long TokenizerBytes(Qwen2Config model) => (10L << 20) + 1_100L * model.VocabSize;

    /// <summary>Elements per read/write chunk of SafeTensors (its ChunkElements): its buffers hold at most this many.</summary>
    const long IoChunk = 1 << 24;

    public IReadOnlyList<MemoryPart> Parts { get; }
    public IReadOnlyList<MemoryPhase> Phases { get; }
    public MemoryPhase Peak => Phases.MaxBy(p => p.Bytes)!;

    MemoryPlan(List<MemoryPart> parts)
    {
        Parts = parts;
        long persistent = parts.Where(p => p.Phase == Persistent).Sum(p => p.Bytes);
        Phases = parts.Where(p => p.Phase != Persistent).Select(p => p.Phase).Distinct()
            .Select(phase => new MemoryPhase(phase, persistent + parts.Where(p => p.Phase == phase).Sum(p => p.Bytes))).ToList();
    }

    /// <summary>The plan of one steady-state step (gradients and AdamW moments exist, as from step 2 on).</summary>
    public static MemoryPlan For(Qwen2Config model, GrpoConfig config, MemoryPlanOptions? options = null)
    {
        options ??= new MemoryPlanOptions();
        var s = new Shape(model, config, options.PromptLength ?? config.MaxPromptLength);
        bool cpu = !config.Device.StartsWith("cuda", StringComparison.Ordinal);
        var parts = new List<MemoryPart>();
        void Add(string phase, string name, long bytes, string detail) => parts.Add(new(phase, name, bytes, detail));

        // --- held throughout
        Add(Persistent, cpu ? "runtime (.NET + libtorch)" : "CUDA context", options.RuntimeBytes ?? (cpu ? CpuRuntimeBytes : CudaContextBytes),
            cpu ? "measured: a process that loads libtorch and runs one op" : "allowance, not measured");
        if (cpu && options.TokenizedPrompts is int prompts)
            Add(Persistent, "tokenizer + prompts", TokenizerBytes(model) + (long)prompts * s.P * 4,
                $"tokenizer (fit to two measured) + {prompts:N0} prompts of up to {s.P} int ids");
        Add(Persistent, "weights", WeightBytes(s), $"{ParameterCount(model):N0} parameters x {s.W} B + rotary tables");
        if (config.UsePeft)
            Add(Persistent, "LoRA + grads + AdamW", LoraParameterCount(model, config) * 16,
                $"{LoraParameterCount(model, config):N0} float32 adapter weights x (4 weight + 4 grad + 8 moments)");
        else
            Add(Persistent, "grads + AdamW" + (s.W != 4 ? " + float32 masters" : ""), ParameterCount(model) * (s.W + 8 + (s.W != 4 ? 8 : 0)),
                $"{ParameterCount(model):N0} parameters x ({s.W} grad + 8 moments{(s.W != 4 ? " + 4 master + 4 master grad" : "")})");
        if (config.Beta > 0 && !config.UsePeft)
            Add(Persistent, "reference model", WeightBytes(s), "a frozen copy (beta > 0 without LoRA)");

        // --- loading (CPU: the safetensors reader widens a tensor to float32 before copying it in)
        long largest = Math.Max(s.V * s.H, s.I * s.H), chunkOfLargest = Math.Min(largest, IoChunk);
        if (cpu)
            Add("load", "read buffer", 4 * largest + 8 * chunkOfLargest, "the largest tensor as float32 + the file's chunk buffers");

        // --- generation: all B x G completions of a step at once
        long rows = config.CompletionsPerStep, positions = s.P + s.C;
        Add("generation", "KV cache", rows * positions * (s.L * 2 * s.KvWidth + 1) * s.W,
            $"{rows} rows x {positions} positions x {s.L} layers x 2 x {s.KvWidth} + padding mask, x {s.W} B");
        Add("generation", "sampling", rows * s.V * SamplingBytesPerLogit(s, config), $"{rows} rows x {s.V} logits");
        Add("generation", "prefill", config.PromptsPerStep * s.P * LayerWorkingBytesPerToken(s) + config.PromptsPerStep * s.Group * s.P * s.P * s.W,
            $"{config.PromptsPerStep} prompts x {s.P} tokens through one layer at a time");

        // --- old / reference log-probs: a no-grad forward per micro-batch
        long completionTokens = s.M * s.C;
        long chunk = config.LogitsChunkSize == 0 ? completionTokens : Math.Min(config.LogitsChunkSize, completionTokens);
        if (config.Beta > 0 || config.NumIterations > 1)
        {
            const string phase = "reference log-probs";
            Add(phase, "hidden states", 2 * completionTokens * s.H * s.W, "the micro-batch's final hidden states and their generated rows");
            Add(phase, "prompt keys/values", s.L * s.PromptKeys * s.W, "every layer's, for the completions to attend to");
            Add(phase, "one layer", LayerWorkingBytesPerToken(s) * Math.Max(s.CompletionTokens, s.PromptTokens) + s.RowKeys * s.W + s.MaskBytes,
                "a layer's working set; nothing is kept");
            // The logits (model dtype and float32; unchunked also / temperature) and logsumexp's float32 scratch.
            Add(phase, config.LogitsChunkSize == 0 ? "full logits" : "logits chunk",
                chunk * s.V * (config.LogitsChunkSize == 0 ? s.W + (s.W != 4 ? 4 : 0) + 8 : s.Cast + 8),
                $"{chunk} positions x {s.V} logits" + (config.LogitsChunkSize == 0 ? ", all at once" : " at a time"));
        }

        // --- the update, per micro-batch: forward (kept activations), LM head, backward
        long kept = KeptActivationBytes(s);
        string keptDetail = config.GradientCheckpointing
            ? $"each layer's input ({s.L} x {s.CompletionTokens + s.PromptTokens} tokens x {s.H} x {s.W} B) + prompt keys/values"
            : $"{s.L} layers x {s.CompletionTokens + s.PromptTokens} tokens x {ActivationBytesPerToken(s):N0} B + keys/values";
        if (!config.GradientCheckpointing)
        {
            Add("update: forward", "activations kept for backward", kept, keptDetail);
            Add("update: forward", "layer outputs", s.L * (s.CompletionTokens + s.PromptTokens) * s.H * s.W, "held until the forward returns");
        }
        const string head = "update: LM head";
        Add(head, "activations kept for backward", kept, keptDetail);
        Add(head, "hidden states", (s.FrozenHead ? 3 : 2) * completionTokens * s.H * s.W,
            "final hidden states, their generated rows" + (s.FrozenHead ? ", d logp / d hidden" : ""));
        Add(head, config.LogitsChunkSize == 0 ? "full logits" : "logits chunk", LmHeadBytes(s, config, chunk), LmHeadDetail(s, config, chunk));
        const string back = "update: backward";
        Add(back, "activations kept for backward", kept, keptDetail);
        if (config.GradientCheckpointing)
            Add(back, "recomputed layer", ActivationBytesPerToken(s) * Math.Max(s.CompletionTokens, s.PromptTokens) + s.RowKeys * s.W + s.AdapterCopyBytes,
                "one layer's activations, re-run for its backward");
        Add(back, "layer gradients", (s.CompletionTokens + s.PromptTokens) * (6 * s.I + 8 * s.H) * s.W, "one layer's backward buffers");

        // --- checkpoint: LoRA writes a merged model, one projection at a time
        if (config.UsePeft)   // (alpha/r) B A in float32, W added in place, cast to the model dtype
            Add("checkpoint", "merged projection", LargestLoraProjection(model, config) * (4 + s.Cast), "W + (alpha/r) B A of one projection at a time");
        if (cpu) Add("checkpoint", "write buffers", chunkOfLargest * (8 + (s.W != 4 ? 4 : 0)), "the file's chunk buffers + one chunk as float32");

        // On the CPU the project's glibc settings keep freed memory in the heap for reuse (GlibcMalloc). Measured: a
        // phase's smaller allocations split the blocks the phase before freed, so its large blocks take fresh memory
        // and the earlier ones stay resident. Counted: the previous phase's working memory, at most 1 GiB (the most the
        // measurements in docs/memory-plan.md showed kept; an allowance fitted to them, not derived).
        if (cpu)
        {
            string Group(string phase) => phase.StartsWith("update", StringComparison.Ordinal) ? "update" : phase;
            var own = parts.Where(p => p.Phase != Persistent).ToList();
            var groups = own.Select(p => Group(p.Phase)).Distinct().ToList();
            for (int g = 1; g < groups.Count; g++)
            {
                long working = own.Where(p => Group(p.Phase) == groups[g - 1]).GroupBy(p => p.Phase).Max(ph => ph.Sum(p => p.Bytes));
                foreach (var phase in own.Where(p => Group(p.Phase) == groups[g]).Select(p => p.Phase).Distinct())
                    Add(phase, $"heap kept from {groups[g - 1]}", Math.Min(working, 1L << 30), "CPU: freed by the phase before, still resident (glibc)");
            }
        }
        return new MemoryPlan(parts);
    }

    /// <summary>The largest per_device_train_batch_size (other settings as given; the generation batch is that times
    /// gradient_accumulation_steps, and must be a multiple of num_generations) whose peak is at most
    /// <paramref name="usableShare"/> of <paramref name="deviceBytes"/>; null when not even one fits. The share left
    /// over stands for the allocator's fragmentation, which the plan does not model.</summary>
    public static int? LargestMicroBatch(Qwen2Config model, GrpoConfig config, long deviceBytes, MemoryPlanOptions? options = null,
        double usableShare = 0.9, int limit = 4096)
    {
        int? best = null;
        for (int mb = 1; mb <= limit; mb++)
        {
            var c = config with { PerDeviceTrainBatchSize = mb };
            if (c.CompletionsPerStep % c.NumGenerations != 0) continue;
            if (For(model, c, options).Peak.Bytes > usableShare * deviceBytes) break;   // the peak grows with the micro-batch
            best = mb;
        }
        return best;
    }

    // ------------------------------------------------------------------ the terms

    /// <summary>Every weight of a Qwen2: embeddings (once when tied), per layer q/k/v (with bias), o, gate, up, down and
    /// two norms, and the final norm.</summary>
    public static long ParameterCount(Qwen2Config c)
    {
        long h = c.HiddenSize, kv = (long)c.NumKeyValueHeads * c.HeadDim, q = (long)c.NumAttentionHeads * c.HeadDim;
        long layer = h * q + q + 2 * (h * kv + kv) + q * h + 3 * h * c.IntermediateSize + 2 * h;
        return (long)c.VocabSize * h * (c.TieWordEmbeddings ? 1 : 2) + c.NumHiddenLayers * layer + h;
    }

    /// <summary>LoRA's A [r, in] and B [out, r] for every targeted projection of every layer.</summary>
    public static long LoraParameterCount(Qwen2Config c, GrpoConfig g) =>
        (long)c.NumHiddenLayers * g.LoraTargetModules.Sum(m => (long)g.LoraR * (ProjectionShape(c, m).In + ProjectionShape(c, m).Out));

    /// <summary>Input and output width of a projection, by its Hugging Face name.</summary>
    public static (long In, long Out) ProjectionShape(Qwen2Config c, string module)
    {
        long h = c.HiddenSize, i = c.IntermediateSize, kv = (long)c.NumKeyValueHeads * c.HeadDim, q = (long)c.NumAttentionHeads * c.HeadDim;
        return module switch
        {
            "q_proj" => (h, q), "k_proj" or "v_proj" => (h, kv), "o_proj" => (q, h),
            "gate_proj" or "up_proj" => (h, i), "down_proj" => (i, h),
            _ => throw new ArgumentException($"not a projection: {module}"),
        };
    }

    static long LargestLoraProjection(Qwen2Config c, GrpoConfig g) => g.LoraTargetModules.Max(m => ProjectionShape(c, m).In * ProjectionShape(c, m).Out);

    static long WeightBytes(Shape s) => ParameterCount(s.Model) * s.W + 2L * s.Model.MaxPositionEmbeddings * s.D * 4;

    /// <summary>
    /// What autograd keeps of one decoder layer per token (keys/values and per-forward constants apart), as this code's
    /// ops save tensors (PyTorch's derivatives.yaml): each RMSNorm its float32 input (4H), plus its bf16 output when the
    /// norm weight trains; attention (fused on CPU and CUDA) q and its output (2 x wH) and the float32 logsumexp per head;
    /// silu(gate) * up its input gate, silu(gate) and up (3 x wI). A LoRA projection keeps its dropout mask and dropped
    /// input (2 x w x in; none without dropout, then its input) and x A^T (w r); a trained projection its input; a
    /// frozen one nothing.
    /// </summary>
    public static long ActivationBytesPerToken(Shape s)
    {
        var g = s.Config;
        long h = s.H, i = s.I, w = s.W;
        bool full = !g.UsePeft;
        long norms = 2 * (4 * h + 4 + (full ? w * h : 0));
        long attention = 2 * w * h + 4L * s.Model.NumAttentionHeads;
        long mlp = 3 * w * i;
        // The four inputs projections read: the normed x (q, k, v), attention's output (o), the normed h (gate, up), the
        // MLP product (down). A trained projection keeps its input, shared by the projections reading it.
        var inputs = new (long Width, string[] Modules)[]
        {
            (h, ["q_proj", "k_proj", "v_proj"]), (s.Model.NumAttentionHeads * (long)s.D, ["o_proj"]),
            (h, ["gate_proj", "up_proj"]), (i, ["down_proj"]),
        };
        long projections = 0;
        foreach (var (width, modules) in inputs)
        {
            if (full) { projections += w * width; continue; }
            var adapted = modules.Where(g.LoraTargetModules.Contains).ToList();
            if (adapted.Count == 0) continue;
            projections += g.LoraDropout > 0 ? adapted.Count * 2 * w * width : w * width;
            projections += adapted.Count * w * g.LoraR;
        }
        return norms + attention + mlp + projections;
    }

    /// <summary>Activations of every layer kept between the forward and the backward of one micro-batch.</summary>
    static long KeptActivationBytes(Shape s)
    {
        long tokens = s.CompletionTokens + s.PromptTokens;
        if (s.Config.GradientCheckpointing)   // each layer's inputs only (ActivationCheckpoint), the prompt's keys/values
            return s.L * (tokens * s.H * s.W + s.PromptKeys * s.W) + s.MaskBytes;
        return s.L * (tokens * ActivationBytesPerToken(s) + (s.RowKeys + s.PromptKeys) * s.W + 2 * s.AdapterCopyBytes) + s.MaskBytes;
    }

    /// <summary>A layer's largest live set per token in a forward that keeps nothing: MLP (gate, up, silu, product) and
    /// a few hidden-size tensors (norm in float32, q/k/v, rotations, attention output).</summary>
    static long LayerWorkingBytesPerToken(Shape s) => (4 * s.I + 8 * s.H) * s.W;

    /// <summary>Bytes per logit while sampling a token: the logits (the previous step's until the next exist), their
    /// float32 copy, / temperature, softmax and cumulative sum; top-k and top-p filtering add their sorted copies.</summary>
    static long SamplingBytesPerLogit(Shape s, GrpoConfig g)
    {
        long sampling = s.W + (s.W != 4 ? 4 : 0) + (g.Temperature != 1f ? 4 : 0) + 4 + 4;
        if (g.TopK > 0) sampling += 1 + 4;
        if (g.TopP < 1f) sampling += 4 + 8 + 4 + 4 + 1 + 1 + 4;
        return Math.Max(2 * s.W, sampling);
    }

    /// <summary>The LM head of the update with ChunkedLogProbs: per chunk the logits (model dtype and float32), softmax,
    /// the entropy's product and (frozen head) d logp / d logits cast back; with a trained head backward re-makes a
    /// chunk and accumulates d W in float32. Unchunked: every position's logits, float32, / temperature, log-softmax,
    /// softmax and the entropy's product, all alive at once.</summary>
    static long LmHeadBytes(Shape s, GrpoConfig g, long chunk)
    {
        if (g.LogitsChunkSize == 0) return chunk * s.V * (s.W + (s.W != 4 ? 4 : 0) + 16);
        if (s.FrozenHead) return chunk * s.V * (12 + 2 * s.Cast);
        long forward = chunk * s.V * (12 + s.Cast);
        long backward = chunk * s.V * (4 + 2 * s.Cast) + s.V * s.H * (4 + s.W + (s.W != 4 ? 4 : 0));
        return Math.Max(forward, backward);
    }

    static string LmHeadDetail(Shape s, GrpoConfig g, long chunk) => g.LogitsChunkSize == 0
        ? $"{chunk} positions x {s.V} logits, all at once"
        : $"{chunk} positions x {s.V} logits at a time" + (s.FrozenHead ? "" : " + d W in float32");

    /// <summary>The sizes every term reads, from the two configs.</summary>
    public sealed class Shape
    {
        public Qwen2Config Model { get; }
        public GrpoConfig Config { get; }
        public long H, I, L, V, D, W, P, C, M, Group, KvWidth;
        /// <summary>Distinct prompts in a micro-batch (at most one per group).</summary>
        public long PromptsPerMicroBatch;
        public long CompletionTokens, PromptTokens;
        /// <summary>Keys + values (elements) the completion pass's attention keeps per layer, and the prompt pass's.</summary>
        public long RowKeys, PromptKeys;
        public long MaskBytes, AdapterCopyBytes;
        /// <summary>Bytes of the model-dtype copy a float32 cast leaves beside it (0 in float32).</summary>
        public long Cast => W != 4 ? W : 0;
        /// <summary>The LM head does not train (LoRA): ChunkedLogProbs keeps d logp / d hidden instead of the logits.</summary>
        public bool FrozenHead => Config.UsePeft;

        public Shape(Qwen2Config model, GrpoConfig config, int promptLength)
        {
            Model = model;
            Config = config;
            (H, I, L, V, D) = (model.HiddenSize, model.IntermediateSize, model.NumHiddenLayers, model.VocabSize, model.HeadDim);
            W = config.Dtype == "float32" ? 4 : 2;
            (P, C, M) = (promptLength, config.MaxCompletionLength, config.PerDeviceTrainBatchSize);
            Group = model.NumAttentionHeads / model.NumKeyValueHeads;
            KvWidth = (long)model.NumKeyValueHeads * model.HeadDim;
            PromptsPerMicroBatch = Math.Min(M, config.PromptsPerStep);
            if (config.SharePromptForward)
            {
                // The prompt once per distinct prompt, then each completion attending to its prompt's keys.
                (CompletionTokens, PromptTokens) = (M * C, PromptsPerMicroBatch * P);
                (RowKeys, PromptKeys) = (M * (P + C) * 2 * KvWidth, PromptsPerMicroBatch * P * 2 * KvWidth);
                MaskBytes = (M * Group * C * (P + C) + PromptsPerMicroBatch * Group * P * P) * W;
            }
            else
            {
                (CompletionTokens, PromptTokens) = (M * (P + C), 0);
                (RowKeys, PromptKeys) = (M * (P + C) * 2 * KvWidth, 0);
                MaskBytes = M * Group * (P + C) * (P + C) * W;
            }
            // LoRA casts A and B to the model dtype in every forward of a layer (kept for backward).
            AdapterCopyBytes = config.UsePeft && W != 4 ? LoraParameterCount(model, config) / L * W : 0;
        }
    }
}
