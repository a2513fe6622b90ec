// vLLM's OpenAI-compatible completion API, both sides of it: what the rollout client sends and reads, and what
// `grpo serve` reads and answers. The shapes follow vLLM's source (read 2026-07):
//   vllm/entrypoints/openai/completion/protocol.py (CompletionRequest: prompt as list[int] | list[list[int]] | str |
//     list[str], n, max_tokens, temperature, top_p, top_k, seed, stop, stop_token_ids, logprobs, ignore_eos,
//     skip_special_tokens, return_token_ids, return_tokens_as_token_ids; CompletionResponseChoice: index, text,
//     logprobs {text_offset, token_logprobs, tokens, top_logprobs}, finish_reason, stop_reason, token_ids,
//     prompt_token_ids);
//   vllm/entrypoints/openai/completion/serving.py (choices prompt-major, index = position; token_logprob clamped at
//     -9999; with return_tokens_as_token_ids a token reads "token_id:<id>");
//   tests/entrypoints/openai/test_return_token_ids.py (token_ids end with the end token, e.g. <|im_end|>);
//   docs/features/lora.md and vllm/entrypoints/serve/lora/protocol.py (POST /v1/load_lora_adapter {lora_name,
//     lora_path}, POST /v1/unload_lora_adapter {lora_name}, VLLM_ALLOW_RUNTIME_LORA_UPDATING=True).
using System.Globalization;
using System.Text.Json.Nodes;

namespace Grpo.Rollouts;

public static class VllmWire
{
    public const string CompletionsPath = "/v1/completions";
    public const string ModelsPath = "/v1/models";
    public const string LoadLoraPath = "/v1/load_lora_adapter";
    public const string UnloadLoraPath = "/v1/unload_lora_adapter";
    const string TokenIdPrefix = "token_id:";

    // ------------------------------------------------------------------ client

    /// <summary>G completions of one prompt given as token ids. Every sampling setting is sent, so a server's defaults
    /// (vLLM and SGLang take them from the model's generation_config.json) cannot change what is sampled.</summary>
    public static JsonObject CompletionRequest(string model, int[] prompt, RolloutRequest r, long seed, IReadOnlyList<int> stopTokenIds) => new()
    {
        ["model"] = model,
        ["prompt"] = new JsonArray(prompt.Select(id => (JsonNode)id).ToArray()),
        ["n"] = r.NumGenerations,
        ["max_tokens"] = r.MaxNewTokens,
        ["temperature"] = r.Temperature,
        ["top_p"] = r.TopP,
        ["top_k"] = r.TopK > 0 ? r.TopK : -1,
        ["min_p"] = 0.0,
        ["repetition_penalty"] = 1.0,
        ["presence_penalty"] = 0.0,
        ["frequency_penalty"] = 0.0,
        ["seed"] = seed,
        ["stop_token_ids"] = new JsonArray(stopTokenIds.Select(id => (JsonNode)id).ToArray()),
        ["logprobs"] = 0,
        ["return_token_ids"] = true,
        ["return_tokens_as_token_ids"] = true,
        ["skip_special_tokens"] = false,
    };

    /// <summary>The n completions of a one-prompt answer, in index order, checked against the request: n choices,
    /// ids in the vocabulary, no more than max_tokens of them, one finite log-prob per id. Ids come from token_ids
    /// (return_token_ids, vLLM 0.10.2 and later) or else from the "token_id:N" tokens of the log-probs.</summary>
    public static IReadOnlyList<RolloutSample> ParseCompletion(JsonNode? answer, int[] prompt, int n, int maxTokens, int vocabSize)
    {
        var choices = WireJson.Array(WireJson.Object(answer, "answer")["choices"], "choices");
        if (choices.Count != n) throw new WireFormatException($"choices holds {choices.Count} completions, {n} were asked for");
        var samples = new RolloutSample?[n];
        for (int c = 0; c < n; c++)
        {
            string at = $"choices[{c}]";
            var choice = WireJson.Object(choices[c], at);
            int index = WireJson.Int(choice["index"], at + ".index");
            if (index < 0 || index >= n || samples[index] is not null) throw new WireFormatException($"{at}.index {index} is out of place");
            var logprobs = WireJson.Object(choice["logprobs"], at + ".logprobs (start the server with logprobs allowed)");
            var ids = choice["token_ids"] is { } tokenIds ? WireJson.Ints(tokenIds, at + ".token_ids", 0, vocabSize)
                : IdsFromTokens(WireJson.Array(logprobs["tokens"], at + ".logprobs.tokens"), at + ".logprobs.tokens", vocabSize);
            var lps = WireJson.Array(logprobs["token_logprobs"], at + ".logprobs.token_logprobs");
            if (lps.Count != ids.Length)
                throw new WireFormatException($"{at}: {lps.Count} log-probs for {ids.Length} tokens");
            if (ids.Length > maxTokens) throw new WireFormatException($"{at}: {ids.Length} tokens, max_tokens was {maxTokens}");
            var values = new float[ids.Length];
            for (int t = 0; t < values.Length; t++)
            {
                values[t] = (float)WireJson.Number(lps[t], $"{at}.logprobs.token_logprobs[{t}]");
                if (!float.IsFinite(values[t])) throw new WireFormatException($"{at}.logprobs.token_logprobs[{t}] is not finite");
            }
            var reason = WireJson.String(choice["finish_reason"], at + ".finish_reason");
            if (reason is not ("stop" or "length")) throw new WireFormatException($"{at}.finish_reason is \"{reason}\", expected stop or length");
            samples[index] = new RolloutSample(prompt, ids, reason == "stop", values);
        }
        return samples!;
    }

    static int[] IdsFromTokens(JsonArray tokens, string field, int vocabSize) => tokens.Select((t, i) =>
    {
        var text = WireJson.String(t, $"{field}[{i}]");
        if (!text.StartsWith(TokenIdPrefix, StringComparison.Ordinal)
            || !int.TryParse(text.AsSpan(TokenIdPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id >= vocabSize)
            throw new WireFormatException($"{field}[{i}] is \"{WireJson.Shorten(text)}\", not \"token_id:N\" with N in the vocabulary " +
                "(the answer has no token_ids: use vLLM 0.10.2 or later, or a server that honours return_tokens_as_token_ids)");
        return id;
    }).ToArray();

    public static JsonObject LoadLoraRequest(string name, string path) => new() { ["lora_name"] = name, ["lora_path"] = path };

    public static JsonObject UnloadLoraRequest(string name) => new() { ["lora_name"] = name };

    /// <summary>The first model id of a /v1/models answer ({"object": "list", "data": [{"id": ...}, ...]}): the
    /// served base model, which completion requests name.</summary>
    public static string FirstModelId(JsonNode? answer)
    {
        var data = WireJson.Array(WireJson.Object(answer, "answer")["data"], "data");
        if (data.Count == 0) throw new WireFormatException("data lists no model");
        return WireJson.String(WireJson.Object(data[0], "data[0]")["id"], "data[0].id");
    }

    // ------------------------------------------------------------------ server

    /// <summary>A /v1/completions request as `grpo serve` runs it: every prompt n times (prompt-major), the k-th
    /// completion of a request with seed s seeded s + k as vLLM does. Settings grpo serve cannot honour (streaming,
    /// echo, beam search, alternatives in logprobs, penalties) are refused, naming the field.</summary>
    public static (CompletionCall Call, bool TokenIds, bool TokensAsIds, int N) ParseCompletionRequest(JsonObject request, int vocabSize)
    {
        Refuse(request, "stream", v => v is JsonValue x && x.TryGetValue<bool>(out var b) && !b, "streaming is not supported");
        Refuse(request, "echo", v => v is JsonValue x && x.TryGetValue<bool>(out var b) && !b, "echo is not supported");
        Refuse(request, "use_beam_search", v => v is JsonValue x && x.TryGetValue<bool>(out var b) && !b, "beam search is not supported");
        Refuse(request, "suffix", _ => false, "suffix is not supported");
        Refuse(request, "logit_bias", _ => false, "logit_bias is not supported");
        Refuse(request, "prompt_embeds", _ => false, "prompt_embeds is not supported");
        foreach (var (name, neutral) in new[] { ("repetition_penalty", 1.0), ("presence_penalty", 0.0), ("frequency_penalty", 0.0), ("min_p", 0.0) })
            Refuse(request, name, v => WireJson.IsNumber(v) && WireJson.Number(v, name) == neutral, $"{name} other than {neutral} is not supported");
        Refuse(request, "min_tokens", v => WireJson.IsNumber(v) && WireJson.Number(v, "min_tokens") == 0, "min_tokens other than 0 is not supported");

        var prompts = Prompts(request["prompt"], vocabSize);
        int n = WireJson.Optional(request, "n", WireJson.Int) ?? 1;
        if (n < 1) throw new WireFormatException($"n must be >= 1, got {n}");
        int maxTokens = WireJson.Optional(request, "max_tokens", WireJson.Int) ?? 16;   // vLLM's default
        long? seed = WireJson.Optional(request, "seed", WireJson.Long);
        int? logprobs = WireJson.Optional(request, "logprobs", WireJson.Int);
        if (logprobs is > 0)
            throw new WireFormatException($"logprobs {logprobs}: grpo serve answers only the sampled token's log-prob (logprobs 0)");
        var sampling = Sampling(request, maxTokens, topKAll: [0, -1]);
        var rows = new List<CallRow>();
        foreach (var (ids, text) in prompts)
            for (int k = 0; k < n; k++) rows.Add(new CallRow(ids, text, seed is { } s ? s + k : null));
        var call = new CompletionCall(WireJson.OptionalString(request, "model"), rows, sampling, logprobs is not null);
        return (call, WireJson.Optional(request, "return_token_ids", WireJson.Bool) ?? false,
            WireJson.Optional(request, "return_tokens_as_token_ids", WireJson.Bool) ?? false, n);
    }

    /// <summary>The request's sampling settings (names shared by vLLM and SGLang). topKAll: the values meaning "no
    /// limit" (vLLM 0 and -1, SGLang -1).</summary>
    internal static SamplingCall Sampling(JsonObject o, int maxTokens, int[] topKAll, string prefix = "")
    {
        double temperature = WireJson.Optional(o, "temperature", WireJson.Number, prefix) ?? 1.0;
        double topP = WireJson.Optional(o, "top_p", WireJson.Number, prefix) ?? 1.0;
        int topK = WireJson.Optional(o, "top_k", WireJson.Int, prefix) ?? topKAll[0];
        if (!double.IsFinite(temperature) || temperature < 0) throw new WireFormatException($"{prefix}temperature must be >= 0, got {temperature}");
        if (topP is not (> 0 and <= 1)) throw new WireFormatException($"{prefix}top_p must be in (0, 1], got {topP}");
        if (topK < 1 && !topKAll.Contains(topK)) throw new WireFormatException($"{prefix}top_k must be >= 1 or {string.Join(" / ", topKAll)} (no limit), got {topK}");
        if (maxTokens < 0) throw new WireFormatException($"{prefix}max tokens must be >= 0, got {maxTokens}");
        var stopIds = o["stop_token_ids"] is { } s ? WireJson.Ints(s, prefix + "stop_token_ids", 0) : [];
        var stop = o["stop"] switch
        {
            null => [],
            JsonArray list => list.Select((x, i) => WireJson.String(x, $"{prefix}stop[{i}]")).ToArray(),
            var one => [WireJson.String(one, prefix + "stop")],
        };
        if (stop.Any(string.IsNullOrEmpty)) throw new WireFormatException($"{prefix}stop holds an empty string");
        return new SamplingCall(maxTokens, Greedy: temperature < 1e-6, (float)temperature, (float)topP, topKAll.Contains(topK) ? 0 : topK,
            stopIds, stop, WireJson.Optional(o, "ignore_eos", WireJson.Bool, prefix) ?? false,
            WireJson.Optional(o, "skip_special_tokens", WireJson.Bool, prefix) ?? true);
    }

    static List<(int[]? Ids, string? Text)> Prompts(JsonNode? prompt, int vocabSize)
    {
        switch (prompt)
        {
            case null: throw new WireFormatException("prompt is missing");
            case JsonValue: return [(null, NonEmpty(WireJson.String(prompt, "prompt"), "prompt"))];
            case JsonArray list when list.Count == 0: throw new WireFormatException("prompt is an empty list");
            case JsonArray list when WireJson.IsNumber(list[0]): return [(NonEmpty(WireJson.Ints(list, "prompt", 0, vocabSize), "prompt"), null)];
            case JsonArray list when list[0] is JsonArray:
                return list.Select((p, i) => ((int[]?)NonEmpty(WireJson.Ints(p, $"prompt[{i}]", 0, vocabSize), $"prompt[{i}]"), (string?)null)).ToList();
            case JsonArray list:
                return list.Select((p, i) => ((int[]?)null, (string?)NonEmpty(WireJson.String(p, $"prompt[{i}]"), $"prompt[{i}]"))).ToList();
            default: throw new WireFormatException("prompt must be token ids, a list of token-id lists, a string or a list of strings");
        }
    }

    static T NonEmpty<T>(T value, string field) where T : class =>
        value is string { Length: 0 } or int[] { Length: 0 } ? throw new WireFormatException($"{field} is empty") : value;

    /// <summary>Throws when <paramref name="field"/> is present, not null and not <paramref name="allowed"/>.</summary>
    static void Refuse(JsonObject o, string field, Func<JsonNode?, bool> allowed, string why)
    {
        if (o[field] is { } v && !allowed(v)) throw new WireFormatException($"{field}: {why} by grpo serve");
    }

    /// <summary>The answer to a /v1/completions call: one choice per row in row order, as vLLM's
    /// request_output_to_completion_response writes it.</summary>
    public static JsonObject CompletionResponse(string model, CompletionCall call, IReadOnlyList<RowResult> rows, bool tokenIds, bool tokensAsIds)
    {
        var choices = new JsonArray();
        for (int i = 0; i < rows.Count; i++)
        {
            var r = rows[i];
            JsonNode? logprobs = null;
            if (call.LogProbs)
            {
                var tokens = r.Ids.Select((id, t) => tokensAsIds ? TokenIdPrefix + id.ToString(CultureInfo.InvariantCulture) : r.TokenTexts[t]).ToArray();
                var offsets = new JsonArray();
                int offset = 0;
                foreach (var t in tokens) { offsets.Add(offset); offset += t.Length; }
                logprobs = new JsonObject
                {
                    ["text_offset"] = offsets,
                    ["token_logprobs"] = new JsonArray(r.LogProbs.Select(x => (JsonNode)Math.Max(x, -9999.0)).ToArray()),
                    ["tokens"] = new JsonArray(tokens.Select(t => (JsonNode)t).ToArray()),
                    ["top_logprobs"] = new JsonArray(tokens.Select((t, k) => (JsonNode)new JsonObject { [t] = Math.Max(r.LogProbs[k], -9999.0) }).ToArray()),
                };
            }
            choices.Add(new JsonObject
            {
                ["index"] = i,
                ["text"] = r.Text,
                ["logprobs"] = logprobs,
                ["finish_reason"] = r.FinishReason,
                ["stop_reason"] = r.StopReason switch { int id => id, string s => s, _ => null },
                ["token_ids"] = tokenIds ? new JsonArray(r.Ids.Select(x => (JsonNode)x).ToArray()) : null,
                ["prompt_token_ids"] = tokenIds ? new JsonArray(r.PromptIds.Select(x => (JsonNode)x).ToArray()) : null,
            });
        }
        int promptTokens = rows.Select(r => r.PromptIds).Distinct().Sum(p => p.Length);
        int completionTokens = rows.Sum(r => r.Ids.Length);
        return new JsonObject
        {
            ["id"] = "cmpl-" + Guid.NewGuid().ToString("N"),
            ["object"] = "text_completion",
            ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["model"] = model,
            ["choices"] = choices,
            ["usage"] = new JsonObject
            {
                ["prompt_tokens"] = promptTokens, ["completion_tokens"] = completionTokens, ["total_tokens"] = promptTokens + completionTokens,
            },
        };
    }

    /// <summary>A /v1/models answer listing the base model and the loaded adapters (parent = the base).</summary>
    public static JsonObject ModelsResponse(string model, string root, IEnumerable<(string Name, string Path)> adapters)
    {
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var data = new JsonArray(new JsonObject { ["id"] = model, ["object"] = "model", ["created"] = created, ["owned_by"] = "grpo", ["root"] = root, ["parent"] = null });
        foreach (var (name, path) in adapters)
            data.Add(new JsonObject { ["id"] = name, ["object"] = "model", ["created"] = created, ["owned_by"] = "grpo", ["root"] = path, ["parent"] = model });
        return new JsonObject { ["object"] = "list", ["data"] = data };
    }
}
