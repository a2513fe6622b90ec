// What `grpo serve` computes, apart from HTTP: vLLM's /v1/completions and SGLang's /generate answered by the project's
// own generator for one model folder, LoRA adapters loaded and unloaded at run time (vLLM's and SGLang's endpoints),
// full weights reloaded from a folder (SGLang's update_weights_from_disk), every path confined to the allowed folder
// and every request held to the limits of ServeOptions. Sampling is the trainer's own (Generator, TokenSampler), and a
// row seeded as RolloutSeeds describes draws the local generator's stream, so a trainer gets exactly the tokens it
// would have sampled itself.
using System.Text.Json.Nodes;
using Grpo.Files;
using Grpo.Model;
using Grpo.Rollouts;
using Grpo.Torch;

namespace Grpo.Serving;

public sealed class CompletionEngine : IDisposable
{
    readonly ServeOptions options;
    readonly QwenTokenizer? tokenizer;
    readonly IReadOnlyList<int> modelEos;
    readonly int padId;
    readonly ServedAdapters adapters = new();
    readonly GenerationQueue<Job> queue;
    readonly object gate = new();   // one user of the model at a time: the generation loop, or an adapter / weight load
    Qwen2ForCausalLM model;

    public CompletionEngine(ServeOptions options)
    {
        this.options = options;
        InputPaths.RequireFolder(options.ModelDir, "--model");
        model = Load(options.ModelDir);
        tokenizer = File.Exists(Path.Combine(options.ModelDir, "tokenizer.json")) ? QwenTokenizer.FromFolder(options.ModelDir) : null;
        modelEos = model.Config.EosTokenId.Concat(tokenizer?.EosTokenIds ?? []).Distinct().ToList();
        padId = model.Config.PadTokenId ?? tokenizer?.PadTokenId ?? (modelEos.Count > 0 ? modelEos[0] : 0);
        queue = new GenerationQueue<Job>(Run, options.BatchWindow, options.MaxRows);
    }

    public ServeOptions Options => options;
    public Qwen2Config ModelConfig => model.Config;

    Qwen2ForCausalLM Load(string dir)
    {
        var m = Qwen2ForCausalLM.FromPretrained(dir, TorchOptions.ParseDtype(options.Dtype), TorchOptions.ParseDevice(options.Device));
        m.eval();
        return m;
    }

    // ------------------------------------------------------------------ completions

    /// <summary>POST /v1/completions (vLLM's shape).</summary>
    public async Task<JsonObject> Completions(JsonObject request)
    {
        var (call, tokenIds, tokensAsIds, n) = VllmWire.ParseCompletionRequest(request, model.Config.VocabSize);
        if (n > options.MaxN) throw new ServeException(400, $"n {n} is above this server's limit {options.MaxN} (--max-n)");
        var rows = await Complete(call);
        return VllmWire.CompletionResponse(call.Model ?? options.Name, call, rows, tokenIds, tokensAsIds);
    }

    /// <summary>POST /generate (SGLang's shape).</summary>
    public async Task<JsonNode> Generate(JsonObject request)
    {
        var (call, single, n) = SglangWire.ParseGenerateRequest(request, model.Config.VocabSize);
        if (n > options.MaxN) throw new ServeException(400, $"n {n} is above this server's limit {options.MaxN} (--max-n)");
        var rows = await Complete(call);
        return SglangWire.GenerateResponse(call, rows, single);
    }

    async Task<IReadOnlyList<RowResult>> Complete(CompletionCall call)
    {
        if (call.Rows.Count > options.MaxRows)
            throw new ServeException(400, $"{call.Rows.Count} completions in one request; this server's limit is {options.MaxRows} (--max-rows)");
        string? adapter = call.Model is null or "" || call.Model == options.Name ? null
            : adapters.Contains(call.Model) ? call.Model
            : throw new ServeException(404, $"The model '{call.Model}' does not exist: this server has {options.Name}" +
                (adapters.List.Any() ? $" and the adapters {string.Join(", ", adapters.List.Select(a => a.Name))}" : ""));
        var s = call.Sampling;
        int positions = model.Config.MaxPositionEmbeddings;
        int cap = options.MaxTokens > 0 ? options.MaxTokens : positions;
        if (s.MaxTokens > cap) throw new ServeException(400, $"max tokens {s.MaxTokens} is above this server's limit {cap}");
        if (s.Stop.Count > 0 && tokenizer is null) throw new ServeException(400, "stop strings need the model folder's tokenizer, which it lacks; use stop_token_ids");
        var prompts = call.Rows.Select(r => r.PromptIds ?? Encode(r.PromptText!)).ToList();
        int longest = prompts.Max(p => p.Length);
        if ((long)longest + s.MaxTokens > positions)
            throw new ServeException(400, $"a prompt of {longest} tokens plus {s.MaxTokens} new tokens needs {longest + s.MaxTokens} positions; the model has {positions}");
        if (s.StopTokenIds.Any(id => id >= model.Config.VocabSize)) throw new ServeException(400, "stop_token_ids holds an id outside the vocabulary");
        var job = new Job(prompts, call, adapter, Random.Shared.NextInt64(0, long.MaxValue >> 21));
        queue.Add(job);
        return await job.Done.Task;
    }

    int[] Encode(string text) => tokenizer is null
        ? throw new ServeException(400, "this model folder has no tokenizer: send prompts as token ids")
        : tokenizer.Encode(text).ToArray();

    sealed class Job(IReadOnlyList<int[]> prompts, CompletionCall call, string? adapter, long fallbackSeed) : GenerationQueue<Job>.IJob
    {
        public IReadOnlyList<int[]> Prompts { get; } = prompts;
        public CompletionCall Call { get; } = call;
        public string? Adapter { get; } = adapter;
        public RowResult?[] Results { get; } = new RowResult?[prompts.Count];
        public TaskCompletionSource<IReadOnlyList<RowResult>> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Rows => Prompts.Count;
        public void Fail(Exception e) => Done.TrySetException(e);

        /// <summary>The (batch seed, stream) row <paramref name="i"/> draws: its seed's (RolloutSeeds), or the job's
        /// fresh seed and its own index.</summary>
        public (long Seed, long Stream) Stream(int i) => Call.Rows[i].Seed is { } s ? RolloutSeeds.Decode(s) : (fallbackSeed, i);
    }

    /// <summary>The generation loop's work: rows of every gathered job that sample alike (same adapter, settings and
    /// batch seed) go through the generator together.</summary>
    void Run(IReadOnlyList<Job> jobs)
    {
        var rows = jobs.SelectMany(job => Enumerable.Range(0, job.Rows).Select(i => (Job: job, Index: i, Stream: job.Stream(i))));
        foreach (var group in rows.GroupBy(r => (r.Job.Adapter, Key(r.Job.Call.Sampling), r.Stream.Seed)))
        {
            var members = group.ToList();
            var s = members[0].Job.Call.Sampling;
            var stopIds = (s.IgnoreEos ? s.StopTokenIds : modelEos.Concat(s.StopTokenIds)).Distinct().ToList();
            var generationOptions = new GenerationOptions(s.MaxTokens, s.Greedy, s.Greedy ? 1f : s.Temperature, s.TopP, s.TopK,
                Seed: group.Key.Seed, LogProbs: true);
            IReadOnlyList<GeneratedSequence> generated;
            lock (gate)
            {
                adapters.Use(group.Key.Adapter);
                generated = Generator.Generate(model, members.Select(m => m.Job.Prompts[m.Index]).ToList(), generationOptions,
                    stopIds, padId, members.Select(m => m.Stream.Stream).ToList());
            }
            for (int k = 0; k < members.Count; k++)
                members[k].Job.Results[members[k].Index] = Result(generated[k], s);
        }
        foreach (var job in jobs) job.Done.TrySetResult(job.Results.Select(r => r!).ToList());
    }

    static string Key(SamplingCall s) =>
        FormattableString.Invariant($"{s.MaxTokens}|{s.Greedy}|{s.Temperature:R}|{s.TopP:R}|{s.TopK}|{s.IgnoreEos}|{string.Join(',', s.StopTokenIds)}");

    /// <summary>A generated row as an answer: cut at the first stop string (vLLM checks them on the text as it grows;
    /// a row's tokens do not depend on what follows, so cutting afterwards gives the same tokens), with its texts.</summary>
    RowResult Result(GeneratedSequence g, SamplingCall s)
    {
        var ids = g.Ids;
        var logProbs = g.LogProbs ?? new float[ids.Length];
        string reason = g.Finished ? "stop" : "length";
        object? stopReason = g.Finished && s.StopTokenIds.Contains(ids[^1]) && !modelEos.Contains(ids[^1]) ? ids[^1] : null;
        string text = Decode(ids, s.SkipSpecialTokens);
        if (s.Stop.Count > 0)
            for (int t = 1; t <= ids.Length; t++)
            {
                var prefix = Decode(ids[..t], s.SkipSpecialTokens);
                var hit = s.Stop.Select(stop => (Stop: stop, At: prefix.IndexOf(stop, StringComparison.Ordinal))).Where(h => h.At >= 0)
                    .OrderBy(h => h.At).FirstOrDefault();
                if (hit.Stop is null) continue;
                (ids, logProbs, reason, stopReason, text) = (ids[..t], logProbs[..t], "stop", hit.Stop, prefix[..hit.At]);
                break;
            }
        var tokenTexts = ids.Select(id => tokenizer is null ? $"token_id:{id}" : tokenizer.Decode([id])).ToArray();
        return new RowResult(g.PromptIds, ids, logProbs, reason, stopReason, text, tokenTexts);
    }

    string Decode(int[] ids, bool skipSpecial) => tokenizer?.Decode(ids, skipSpecial) ?? "";

    // ------------------------------------------------------------------ models, adapters, weights

    /// <summary>GET /v1/models.</summary>
    public JsonObject Models()
    {
        lock (gate) return VllmWire.ModelsResponse(options.Name, Path.GetFullPath(options.ModelDir), adapters.List.ToList());
    }

    /// <summary>POST /v1/load_lora_adapter and /load_lora_adapter: {lora_name, lora_path}; the path must lie inside
    /// the allowed folder.</summary>
    public string LoadLoraAdapter(JsonObject request)
    {
        var name = WireJson.String(request["lora_name"], "lora_name");
        if (name.Length == 0 || name == options.Name) throw new ServeException(400, $"lora_name '{name}' is empty or the base model's name");
        var path = Allowed(WireJson.String(request["lora_path"], "lora_path"), "lora_path");
        lock (gate) Guard(() => adapters.Load(model, name, path));
        return $"Success: LoRA adapter '{name}' added successfully.";
    }

    /// <summary>POST /v1/unload_lora_adapter and /unload_lora_adapter: {lora_name}.</summary>
    public string UnloadLoraAdapter(JsonObject request)
    {
        var name = WireJson.String(request["lora_name"], "lora_name");
        lock (gate) adapters.Unload(name);
        return $"Success: LoRA adapter '{name}' removed successfully.";
    }

    /// <summary>SGLang's answer to its LoRA endpoints.</summary>
    public JsonObject LoraAnswer() => new()
    {
        ["success"] = true, ["error_message"] = null,
        ["loaded_adapters"] = new JsonObject(adapters.List.Select(a => KeyValuePair.Create(a.Name, (JsonNode?)a.Path))),
    };

    /// <summary>POST /update_weights_from_disk: {model_path}: a Hugging Face folder of the same architecture whose weights
    /// replace the served ones (adapters stay loaded on top).</summary>
    public JsonObject UpdateWeightsFromDisk(JsonObject request)
    {
        var path = Allowed(WireJson.String(request["model_path"], "model_path"), "model_path");
        if (request["load_format"] is { } format && WireJson.String(format, "load_format") is not ("auto" or "safetensors"))
            throw new ServeException(400, $"load_format '{format}' is not supported (auto, safetensors)");
        lock (gate)
        {
            var next = Guard(() => Load(path));
            var (a, b) = (model.Config, next.Config);
            if (a.HiddenSize != b.HiddenSize || a.NumHiddenLayers != b.NumHiddenLayers || a.NumAttentionHeads != b.NumAttentionHeads
                || a.NumKeyValueHeads != b.NumKeyValueHeads || a.IntermediateSize != b.IntermediateSize || a.VocabSize != b.VocabSize)
            {
                next.Dispose();
                throw new ServeException(400, $"{path}: its config.json describes another architecture than the served model's");
            }
            adapters.MoveTo(next);
            model.Dispose();
            model = next;
        }
        return SglangWire.UpdateWeightsResponse(true, $"Succeeded to update model weights from {path}.");
    }

    /// <summary>The real path of a folder a request names, which must lie inside the allowed folder.</summary>
    string Allowed(string path, string field)
    {
        if (options.AdaptersRoot is null)
            throw new ServeException(403, $"{field}: this server loads nothing from disk; start it with --adapters-root DIR to allow folders inside DIR");
        try { return InputPaths.FolderInside(options.AdaptersRoot, path, field); }
        catch (BadInputException e) { throw new ServeException(e.Message.Contains("outside") ? 403 : 400, e.Message); }
    }

    /// <summary>Runs a load, turning the library's file errors into a 400 answer naming the file.</summary>
    static T Guard<T>(Func<T> load)
    {
        try { return load(); }
        catch (Exception e) when (e is BadInputException or InvalidDataException or IOException or InvalidOperationException or FormatException)
        {
            throw new ServeException(400, e.Message);
        }
    }

    static void Guard(Action load) => Guard(() => { load(); return 0; });

    public void Dispose()
    {
        queue.Dispose();
        lock (gate)
        {
            adapters.Dispose();
            model.Dispose();
        }
    }
}
