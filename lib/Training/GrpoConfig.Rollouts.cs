// GrpoConfig's settings for sampling completions on an inference server instead of in-process: TRL's vllm_* names
// where TRL has the setting (trl/trainer/grpo_config.py, read 2026-07), marked "not in TRL" where it has not.
// README.md, "Rollouts on vLLM/SGLang", says how to start the servers.
using System.Text.Json.Serialization;
using Grpo.Rollouts;

namespace Grpo.Training;

public sealed partial record GrpoConfig
{
    // --- rollouts on an inference server ---
    public bool UseVllm { get; init; }                                   // sample on a server (vLLM, SGLang, `grpo serve`)
    public string VllmMode { get; init; } = "server";                    // only "server": the in-process generator is TRL's "colocate"
    public string? VllmServerBaseUrl { get; init; }                      // e.g. http://127.0.0.1:8000; set, it replaces host and port
    public IReadOnlyList<string>? VllmServerBaseUrls { get; init; }      // not in TRL: several servers, each batch spread across them
    public string VllmServerHost { get; init; } = "127.0.0.1";           // TRL's default 0.0.0.0 is a listening address, not a target
    public int VllmServerPort { get; init; } = 8000;
    public double VllmServerTimeout { get; init; } = 240.0;              // seconds for a server to come up, and for one answer
    public string VllmServerApi { get; init; } = "vllm";                 // not in TRL: vllm (/v1/completions) | sglang (/generate)
    public int VllmServerRetries { get; init; } = 3;                     // not in TRL: further tries of a failed request, backoff 0.5 s doubling
    public string? VllmSyncDir { get; init; }                            // not in TRL: where weights are written for the servers; null = <output_dir>/rollout_weights
    public string? VllmSyncServerDir { get; init; }                      // not in TRL: that folder as the servers see it; null = the same path
    public bool VllmImportanceSamplingCorrection { get; init; } = true;  // weight each token by the trainer/sampler probability ratio
    public string VllmImportanceSamplingMode { get; init; } = "token_truncate";   // TRL's default is sequence_mask
    public double? VllmImportanceSamplingClipMax { get; init; } = 3.0;
    public double? VllmImportanceSamplingClipMin { get; init; }
    public double? VllmImportanceSamplingCap { get; init; }              // TRL's older name of clip_max (deprecated there); overrides it

    [JsonIgnore] public double? ImportanceSamplingMax => VllmImportanceSamplingCap ?? VllmImportanceSamplingClipMax;

    /// <summary>The servers' base URLs: vllm_server_base_urls, else vllm_server_base_url, else http://host:port.</summary>
    [JsonIgnore] public IReadOnlyList<string> RolloutServerUrls =>
        VllmServerBaseUrls ?? [VllmServerBaseUrl ?? $"http://{VllmServerHost}:{VllmServerPort}"];

    /// <summary>How to reach the servers and what to send them; the weights folder defaults to the run folder's.</summary>
    public ServerRolloutSettings RolloutServerSettings(TokenSpec tokens, int vocabSize)
    {
        var dir = Path.GetFullPath(VllmSyncDir ?? Run.RolloutWeightsDir);
        return new ServerRolloutSettings(RolloutServerUrls, VllmServerApi, TimeSpan.FromSeconds(VllmServerTimeout), VllmServerRetries,
            dir, VllmSyncServerDir ?? dir, tokens.EosIds, vocabSize);
    }

    void ValidateRollouts(Action<bool, string> require)
    {
        require(VllmMode == "server", $"vllm_mode must be server (got '{VllmMode}'; the in-process generator is this project's colocated mode)");
        require(VllmServerBaseUrl is null || VllmServerBaseUrls is null, "give vllm_server_base_url or vllm_server_base_urls, not both");
        require(VllmServerBaseUrls is null || VllmServerBaseUrls.Count > 0, "vllm_server_base_urls is empty");
        foreach (var url in RolloutServerUrls)
            require(Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Query == "" && uri.Fragment == "",
                $"rollout server URL '{url}' must be http(s)://host[:port][/path]");
        require(VllmServerPort is > 0 and < 65536, $"vllm_server_port must be in 1..65535 (got {VllmServerPort})");
        require(double.IsFinite(VllmServerTimeout) && VllmServerTimeout > 0, $"vllm_server_timeout must be a number of seconds > 0 (got {VllmServerTimeout})");
        require(ServerRolloutSettings.Apis.Contains(VllmServerApi), $"vllm_server_api must be vllm or sglang (got '{VllmServerApi}')");
        require(VllmServerRetries >= 0, $"vllm_server_retries must be >= 0 (got {VllmServerRetries})");
        require(VllmSyncDir is null || VllmSyncDir.Trim().Length > 0, "vllm_sync_dir is empty");
        require(VllmSyncServerDir is null || VllmSyncServerDir.Trim().Length > 0, "vllm_sync_server_dir is empty");
        require(ImportanceSampling.Modes.Contains(VllmImportanceSamplingMode),
            $"vllm_importance_sampling_mode must be {string.Join(", ", ImportanceSampling.Modes)} (got '{VllmImportanceSamplingMode}')");
        require(ImportanceSamplingMax is null || double.IsFinite(ImportanceSamplingMax.Value) && ImportanceSamplingMax > 0,
            $"vllm_importance_sampling_clip_max (or _cap) must be a number > 0 or null (got {ImportanceSamplingMax})");
        require(VllmImportanceSamplingClipMin is null || double.IsFinite(VllmImportanceSamplingClipMin.Value) && VllmImportanceSamplingClipMin >= 0,
            $"vllm_importance_sampling_clip_min must be a number >= 0 or null (got {VllmImportanceSamplingClipMin})");
        require(VllmImportanceSamplingClipMin is null || ImportanceSamplingMax is null || VllmImportanceSamplingClipMin <= ImportanceSamplingMax,
            "vllm_importance_sampling_clip_min is above clip_max");
    }
}
