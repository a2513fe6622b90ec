// Rollouts from OpenAI-compatible inference servers (vLLM, SGLang, `grpo serve`): prompts go out as token ids, the
// sampled token ids and their log-probs come back, and before each generation that follows an optimizer step the
// policy's weights are written to a folder the servers read and loaded there (a LoRA adapter through
// load_lora_adapter, full weights through SGLang's update_weights_from_disk). Several servers share a batch: prompt p of
// B goes to server floor(p * S / B), so each gets a contiguous part.
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Grpo.Rollouts;

public sealed class ServerRollouts : IRolloutSource
{
    readonly ServerRolloutSettings settings;
    readonly RolloutHttp http;
    readonly string[] baseModels;
    // Adapter names carry a per-process tag, so a restarted trainer never collides with what an old one left loaded.
    readonly string session = Convert.ToHexString(RandomNumberGenerator.GetBytes(3)).ToLowerInvariant();
    bool connected;
    string? adapter;          // the LoRA adapter completions use (null: the served model itself)
    string? weightsFolder;    // the step-N folder the servers loaded last

    public ServerRollouts(ServerRolloutSettings settings)
    {
        if (settings.BaseUrls.Count == 0) throw new ArgumentException("no rollout server");
        if (!ServerRolloutSettings.Apis.Contains(settings.Api)) throw new ArgumentException($"unknown server api '{settings.Api}'");
        this.settings = settings;
        http = new RolloutHttp(settings);
        baseModels = new string[settings.BaseUrls.Count];
    }

    bool Vllm => settings.Api == "vllm";

    /// <summary>Waits for every server to come up and learns the name each serves its base model under.</summary>
    void Connect()
    {
        if (connected) return;
        Run(settings.BaseUrls.Select(async (url, i) =>
        {
            var text = await http.WaitUntilUp(url, VllmWire.ModelsPath);
            baseModels[i] = Read(url, VllmWire.ModelsPath, text, VllmWire.FirstModelId);
        }));
        connected = true;
    }

    public IReadOnlyList<RolloutSample> Sample(RolloutRequest r)
    {
        Connect();
        int b = r.Prompts.Count, g = r.NumGenerations, servers = settings.BaseUrls.Count;
        if ((long)b * g > RolloutSeeds.MaxStreams) throw new ArgumentException($"{b * g} completions in one batch; at most {RolloutSeeds.MaxStreams}");
        int ServerOf(int prompt) => (int)((long)prompt * servers / b);
        var parts = new IReadOnlyList<RolloutSample>[b];
        if (Vllm)
            Run(Enumerable.Range(0, b).Select(async p =>
            {
                int s = ServerOf(p);
                var body = VllmWire.CompletionRequest(adapter ?? baseModels[s], r.Prompts[p], r, RolloutSeeds.Encode(r.Seed, (long)p * g), settings.StopTokenIds);
                var text = await http.Post(settings.BaseUrls[s], VllmWire.CompletionsPath, body, "a completion request");
                parts[p] = Read(settings.BaseUrls[s], VllmWire.CompletionsPath, text,
                    a => VllmWire.ParseCompletion(a, r.Prompts[p], g, r.MaxNewTokens, settings.VocabSize));
            }));
        else
            Run(Enumerable.Range(0, servers).Select(async s =>
            {
                var prompts = Enumerable.Range(0, b).Where(p => ServerOf(p) == s).ToList();
                if (prompts.Count == 0) return;
                var rows = prompts.SelectMany(p => Enumerable.Repeat(r.Prompts[p], g)).ToList();
                var seeds = prompts.SelectMany(p => Enumerable.Range(0, g).Select(j => RolloutSeeds.Encode(r.Seed, (long)p * g + j))).ToList();
                var body = SglangWire.GenerateRequest(rows, seeds, r, settings.StopTokenIds, adapter);
                var text = await http.Post(settings.BaseUrls[s], SglangWire.GeneratePath, body, "a generate request");
                var samples = Read(settings.BaseUrls[s], SglangWire.GeneratePath, text,
                    a => SglangWire.ParseGenerate(a, rows, r.MaxNewTokens, settings.VocabSize));
                for (int k = 0; k < prompts.Count; k++) parts[prompts[k]] = samples.Skip(k * g).Take(g).ToList();
            }));
        return parts.SelectMany(x => x).ToList();
    }

    /// <summary>Writes the policy to WeightsDir/step-N (whole, then renamed into place) and has every server load it;
    /// the folder loaded before is removed once no server uses it.</summary>
    public void UsePolicy(PolicyWeights weights)
    {
        Connect();
        string name = $"step-{weights.Step}";
        string folder = Path.Combine(settings.WeightsDir, name), partial = folder + ".partial";
        if (Directory.Exists(partial)) Directory.Delete(partial, recursive: true);
        Directory.CreateDirectory(partial);
        weights.Write(partial);
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        Directory.Move(partial, folder);
        string serverPath = Path.Combine(settings.ServerWeightsDir, name);

        if (weights.IsAdapter)
        {
            string next = $"grpo-{session}-step-{weights.Step}";
            string load = Vllm ? VllmWire.LoadLoraPath : SglangWire.LoadLoraPath, unload = Vllm ? VllmWire.UnloadLoraPath : SglangWire.UnloadLoraPath;
            Run(settings.BaseUrls.Select(async url =>
            {
                // The old adapter goes first, so a server that holds one adapter at a time (max_loras 1) has room.
                if (adapter is not null)
                {
                    try { await http.Post(url, unload, VllmWire.UnloadLoraRequest(adapter), $"unloading LoRA adapter {adapter}"); }
                    catch (RolloutServerException e) when (e.Status is >= 400 and < 500) { }   // refused: not loaded there (a restarted server)
                }
                var text = await http.Post(url, load, VllmWire.LoadLoraRequest(next, serverPath), $"loading LoRA adapter {serverPath}");
                Read(url, load, text, a => { if (!Vllm) SglangWire.RequireSuccess(a); return 0; }, json: !Vllm);
            }));
            adapter = next;
        }
        else
            Run(settings.BaseUrls.Select(async url =>
            {
                string text;
                try { text = await http.Post(url, SglangWire.UpdateWeightsPath, SglangWire.UpdateWeightsRequest(serverPath), $"reloading full weights from {serverPath}"); }
                catch (RolloutServerException e) when (e.Status == 404)
                {
                    throw new RolloutServerException($"{e.Message}; vLLM has no endpoint that reloads full weights from disk: with vLLM, " +
                        "train LoRA adapters (use_peft true), or serve with SGLang or grpo serve", e, e.Status);
                }
                Read(url, SglangWire.UpdateWeightsPath, text, a => { SglangWire.RequireSuccess(a); return 0; });
            }));

        if (weightsFolder is not null && weightsFolder != folder && Directory.Exists(weightsFolder)) Directory.Delete(weightsFolder, recursive: true);
        weightsFolder = folder;
    }

    /// <summary>Parses an answer with <paramref name="parse"/>; a malformed one is an error naming the URL and the field.</summary>
    static T Read<T>(string baseUrl, string path, string text, Func<JsonNode?, T> parse, bool json = true)
    {
        try { return parse(json ? WireJson.Parse(text, "the answer") : null); }
        catch (WireFormatException e)
        {
            throw new RolloutServerException($"rollout server {RolloutHttp.Url(baseUrl, path)} answered something malformed: {e.Message}");
        }
    }

    /// <summary>Runs the calls together and waits for all; the first failure is rethrown as itself.</summary>
    static void Run(IEnumerable<Task> calls) => Task.WhenAll(calls.ToList()).GetAwaiter().GetResult();

    public void Dispose() => http.Dispose();
}
