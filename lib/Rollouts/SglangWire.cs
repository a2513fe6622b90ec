// SGLang's native API, both sides of it: the rollout client's /generate with token ids, LoRA loading and full-weight
// reloading, and what `grpo serve` reads and answers. The shapes follow SGLang's source and docs (read 2026-07):
//   docs/basic_usage/sampling_params.md (/generate: text | input_ids, sampling_params (one dict, or one per input),
//     return_logprob, lora_path; sampling params max_new_tokens, stop, stop_token_ids, temperature, top_p, top_k (-1 =
//     no limit), min_p, penalties, n ("repeating the same prompts several times offers better control"), ignore_eos,
//     skip_special_tokens);
//   python/sglang/srt/sampling/sampling_params.py (sampling_seed);
//   python/sglang/srt/managers/tokenizer_manager.py (meta_info.output_token_logprobs = [[logprob, token_id, text or
//     null], ...], meta_info.finish_reason = {"type": "stop" | "length" | "abort", ...});
//   python/sglang/srt/entrypoints/http_server.py and managers/io_struct.py (POST /update_weights_from_disk {model_path,
//     load_format, ...} -> {success, message, num_paused_requests}, 400 when success is false; POST /load_lora_adapter
//     {lora_name, lora_path} and /unload_lora_adapter {lora_name}, 400 when success is false).
using System.Text.Json.Nodes;

namespace Grpo.Rollouts;

public static class SglangWire
{
    public const string GeneratePath = "/generate";
    public const string UpdateWeightsPath = "/update_weights_from_disk";
    public const string LoadLoraPath = "/load_lora_adapter";
    public const string UnloadLoraPath = "/unload_lora_adapter";

    // ------------------------------------------------------------------ client

    /// <summary>One input per row (a prompt repeated G times, n = 1 each, as SGLang's docs advise), each with its own
    /// sampling_seed; every sampling setting sent so the server's defaults cannot change what is sampled.</summary>
    public static JsonObject GenerateRequest(IReadOnlyList<int[]> rows, IReadOnlyList<long> seeds, RolloutRequest r,
        IReadOnlyList<int> stopTokenIds, string? adapter)
    {
        var request = new JsonObject
        {
            ["input_ids"] = new JsonArray(rows.Select(p => (JsonNode)new JsonArray(p.Select(id => (JsonNode)id).ToArray())).ToArray()),
            ["sampling_params"] = new JsonArray(seeds.Select(seed => (JsonNode)new JsonObject
            {
                ["max_new_tokens"] = r.MaxNewTokens,
                ["temperature"] = r.Temperature,
                ["top_p"] = r.TopP,
                ["top_k"] = r.TopK > 0 ? r.TopK : -1,
                ["min_p"] = 0.0,
                ["repetition_penalty"] = 1.0,
                ["presence_penalty"] = 0.0,
                ["frequency_penalty"] = 0.0,
                ["stop_token_ids"] = new JsonArray(stopTokenIds.Select(id => (JsonNode)id).ToArray()),
                ["n"] = 1,
                ["sampling_seed"] = seed,
                ["skip_special_tokens"] = false,
            }).ToArray()),
            ["return_logprob"] = true,
        };
        if (adapter is not null) request["lora_path"] = adapter;
        return request;
    }

    /// <summary>The rows of a batched /generate answer (a list, one object per input, in input order). Ids come from
    /// meta_info.output_token_logprobs (and must equal output_ids when that is present).</summary>
    public static IReadOnlyList<RolloutSample> ParseGenerate(JsonNode? answer, IReadOnlyList<int[]> rows, int maxTokens, int vocabSize)
    {
        var list = WireJson.Array(answer, "answer");
        if (list.Count != rows.Count) throw new WireFormatException($"the answer holds {list.Count} completions, {rows.Count} were asked for");
        var samples = new RolloutSample[rows.Count];
        for (int i = 0; i < rows.Count; i++)
        {
            string at = $"[{i}]";
            var item = WireJson.Object(list[i], at);
            var meta = WireJson.Object(item["meta_info"], at + ".meta_info");
            var entries = WireJson.Array(meta["output_token_logprobs"], at + ".meta_info.output_token_logprobs (return_logprob)");
            var ids = new int[entries.Count];
            var lps = new float[entries.Count];
            for (int t = 0; t < ids.Length; t++)
            {
                string e = $"{at}.meta_info.output_token_logprobs[{t}]";
                var entry = WireJson.Array(entries[t], e);
                if (entry.Count < 2) throw new WireFormatException($"{e} must be [logprob, token_id, text]");
                lps[t] = (float)WireJson.Number(entry[0], e + "[0]");
                if (!float.IsFinite(lps[t])) throw new WireFormatException($"{e}[0] is not finite");
                ids[t] = (int)WireJson.Long(entry[1], e + "[1]");
                if (ids[t] < 0 || ids[t] >= vocabSize) throw new WireFormatException($"{e}[1] = {ids[t]} is outside the vocabulary [0, {vocabSize})");
            }
            if (item["output_ids"] is { } outputIds && !WireJson.Ints(outputIds, at + ".output_ids").SequenceEqual(ids))
                throw new WireFormatException($"{at}.output_ids differ from the ids of meta_info.output_token_logprobs");
            if (ids.Length > maxTokens) throw new WireFormatException($"{at}: {ids.Length} tokens, max_new_tokens was {maxTokens}");
            var reason = WireJson.String(WireJson.Object(meta["finish_reason"], at + ".meta_info.finish_reason")["type"], at + ".meta_info.finish_reason.type");
            if (reason is not ("stop" or "length")) throw new WireFormatException($"{at}.meta_info.finish_reason.type is \"{reason}\", expected stop or length");
            samples[i] = new RolloutSample(rows[i], ids, reason == "stop", lps);
        }
        return samples;
    }

    public static JsonObject UpdateWeightsRequest(string modelPath) => new() { ["model_path"] = modelPath };

    /// <summary>Throws unless an /update_weights_from_disk (or LoRA) answer says success (absent counts as success).</summary>
    public static void RequireSuccess(JsonNode? answer)
    {
        if (answer is JsonObject o && o["success"] is { } s && !WireJson.Bool(s, "success"))
            throw new WireFormatException($"the server says it failed: {WireJson.Shorten((o["message"] ?? o["error_message"])?.ToJsonString() ?? "(no message)")}");
    }

    // ------------------------------------------------------------------ server

    /// <summary>A /generate request as `grpo serve` runs it; Single: the request named one input (answer with one object,
    /// not a list). Every input's sampling params must agree except sampling_seed (grpo serve samples a call with one
    /// setting); the k-th of n completions of an input with seed s is seeded s + k.</summary>
    public static (CompletionCall Call, bool Single, int MaxN) ParseGenerateRequest(JsonObject request, int vocabSize)
    {
        if (request["stream"] is { } stream && WireJson.Bool(stream, "stream")) throw new WireFormatException("stream: streaming is not supported by grpo serve");
        if (request["input_embeds"] is not null) throw new WireFormatException("input_embeds is not supported by grpo serve");
        bool single;
        List<(int[]? Ids, string? Text)> inputs;
        if (request["input_ids"] is { } ids)
        {
            if (request["text"] is not null) throw new WireFormatException("give either text or input_ids, not both");
            var list = WireJson.Array(ids, "input_ids");
            if (list.Count == 0) throw new WireFormatException("input_ids is empty");
            single = WireJson.IsNumber(list[0]);
            inputs = single ? [(WireJson.Ints(list, "input_ids", 0, vocabSize), null)]
                : list.Select((x, i) => ((int[]?)WireJson.Ints(x, $"input_ids[{i}]", 0, vocabSize), (string?)null)).ToList();
        }
        else if (request["text"] is JsonArray texts)
        {
            single = false;
            inputs = texts.Select((x, i) => ((int[]?)null, (string?)WireJson.String(x, $"text[{i}]"))).ToList();
        }
        else if (request["text"] is { } text) { single = true; inputs = [(null, WireJson.String(text, "text"))]; }
        else throw new WireFormatException("give text or input_ids");
        foreach (var (x, i) in inputs.Select((x, i) => (x, i)))
            if (x.Ids is { Length: 0 } || x.Text is { Length: 0 }) throw new WireFormatException($"input {i} is empty");

        var paramsNode = request["sampling_params"];
        var perInput = paramsNode switch
        {
            null => inputs.Select(_ => new JsonObject()).ToList(),
            JsonArray list => list.Select((p, i) => WireJson.Object(p, $"sampling_params[{i}]")).ToList(),
            _ => inputs.Select(_ => WireJson.Object(paramsNode, "sampling_params")).ToList(),
        };
        if (perInput.Count != inputs.Count) throw new WireFormatException($"sampling_params holds {perInput.Count} entries for {inputs.Count} inputs");
        SamplingCall? sampling = null;
        var rows = new List<CallRow>();
        int maxN = 1;
        for (int i = 0; i < inputs.Count; i++)
        {
            string prefix = paramsNode is JsonArray ? $"sampling_params[{i}]." : "sampling_params.";
            var p = perInput[i];
            if (p["regex"] is not null || p["json_schema"] is not null || p["ebnf"] is not null)
                throw new WireFormatException($"{prefix}constrained decoding is not supported by grpo serve");
            foreach (var (name, neutral) in new[] { ("repetition_penalty", 1.0), ("presence_penalty", 0.0), ("frequency_penalty", 0.0), ("min_p", 0.0) })
                if (p[name] is { } v && WireJson.Number(v, prefix + name) != neutral)
                    throw new WireFormatException($"{prefix}{name} other than {neutral} is not supported by grpo serve");
            int maxTokens = WireJson.Optional(p, "max_new_tokens", WireJson.Int, prefix) ?? 128;   // SGLang's default
            var s = VllmWire.Sampling(p, maxTokens, topKAll: [-1], prefix);
            if (sampling is not null && !SameSampling(sampling, s))
                throw new WireFormatException($"{prefix}: grpo serve samples every input of a /generate call alike; give all inputs the same sampling params (sampling_seed may differ)");
            sampling = s;
            int n = WireJson.Optional(p, "n", WireJson.Int, prefix) ?? 1;
            if (n < 1) throw new WireFormatException($"{prefix}n must be >= 1, got {n}");
            maxN = Math.Max(maxN, n);
            long? seed = WireJson.Optional(p, "sampling_seed", WireJson.Long, prefix);
            for (int k = 0; k < n; k++) rows.Add(new CallRow(inputs[i].Ids, inputs[i].Text, seed is { } x ? x + k : null));
        }
        string? adapter = request["lora_path"] switch
        {
            null => null,
            JsonArray list => list.Select((x, i) => x is null ? null : WireJson.String(x, $"lora_path[{i}]")).Distinct().ToList() is { Count: 1 } one ? one[0]
                : throw new WireFormatException("lora_path: grpo serve runs one adapter per /generate call"),
            var one => WireJson.String(one, "lora_path"),
        };
        bool logprob = request["return_logprob"] switch
        {
            null => false,
            JsonArray list => list.Select((x, i) => WireJson.Bool(x, $"return_logprob[{i}]")).Any(b => b),
            var one => WireJson.Bool(one, "return_logprob"),
        };
        return (new CompletionCall(adapter, rows, sampling!, logprob), single && rows.Count == 1, maxN);
    }

    static bool SameSampling(SamplingCall a, SamplingCall b) => a.MaxTokens == b.MaxTokens && a.Greedy == b.Greedy
        && a.Temperature == b.Temperature && a.TopP == b.TopP && a.TopK == b.TopK && a.IgnoreEos == b.IgnoreEos
        && a.SkipSpecialTokens == b.SkipSpecialTokens && a.StopTokenIds.SequenceEqual(b.StopTokenIds) && a.Stop.SequenceEqual(b.Stop);

    /// <summary>The answer to a /generate call: one object per row (a list unless the request named one input).</summary>
    public static JsonNode GenerateResponse(CompletionCall call, IReadOnlyList<RowResult> rows, bool single)
    {
        var items = rows.Select((r, i) =>
        {
            var meta = new JsonObject
            {
                ["id"] = Guid.NewGuid().ToString("N"),
                ["finish_reason"] = r.FinishReason == "length"
                    ? new JsonObject { ["type"] = "length", ["length"] = r.Ids.Length }
                    : new JsonObject { ["type"] = "stop", ["matched"] = r.StopReason switch { int id => id, string s => s, _ => r.Ids.Length > 0 ? r.Ids[^1] : null } },
                ["prompt_tokens"] = r.PromptIds.Length,
                ["completion_tokens"] = r.Ids.Length,
            };
            if (call.LogProbs)
                meta["output_token_logprobs"] = new JsonArray(r.Ids.Select((id, t) => (JsonNode)new JsonArray((double)r.LogProbs[t], id, null)).ToArray());
            return (JsonNode)new JsonObject
            {
                ["text"] = r.Text,
                ["output_ids"] = new JsonArray(r.Ids.Select(x => (JsonNode)x).ToArray()),
                ["meta_info"] = meta,
            };
        }).ToArray();
        return single ? items[0] : new JsonArray(items);
    }

    public static JsonObject UpdateWeightsResponse(bool success, string message) =>
        new() { ["success"] = success, ["message"] = message, ["num_paused_requests"] = 0 };
}
