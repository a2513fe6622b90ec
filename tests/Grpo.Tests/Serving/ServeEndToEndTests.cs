// Rollouts from a real `grpo serve` process (the built CLI, on a free loopback port) against the trainer's own
// generator: the same tokens for the same seed through both wire formats and spread over servers, the same training
// curve step for step (full fine-tuning synced through update_weights_from_disk, LoRA through load_lora_adapter), and
// a server killed mid-run: one clear error, everything trained kept in a checkpoint, and a resume that ends where an
// uninterrupted run ends.
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Grpo.Countdown;
using Grpo.Model;
using Grpo.Pipeline;
using Grpo.Rollouts;
using Grpo.Training;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Grpo.Tests.Serving;

public sealed class ServeEndToEndTests(ITestOutputHelper output) : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("grpo-serve-e2e").FullName;
    public void Dispose() => Directory.Delete(root, recursive: true);

    static string Model => ServeProcess.TinyModel;

    /// <summary>The tiny preset cut down to seconds a step: 4 prompts x 4 completions of at most 32 tokens.</summary>
    GrpoConfig SmallRun(string name, int steps = 3) => GrpoConfig.Tiny with
    {
        ModelNameOrPath = Model, OutputDir = Path.Combine(root, name), MaxSteps = steps, SaveSteps = steps,
        PerDeviceTrainBatchSize = 16, GradientAccumulationSteps = 1, NumGenerations = 4, MaxCompletionLength = 32,
        CompletionSampleFraction = 1.0,
    };

    /// <summary>Easy problems, 64 of them generated from the seed.</summary>
    static readonly CountdownTaskConfig SmallTask = CountdownTaskConfig.Easy with { NumTrainProblems = 64 };

    GrpoConfig OnServer(GrpoConfig config, ServeProcess server, string api) => config with
    {
        UseVllm = true, VllmServerBaseUrl = server.Url, VllmServerApi = api, VllmServerTimeout = 60,
        VllmSyncDir = Path.Combine(root, "weights", Path.GetFileName(config.OutputDir)),
    };

    static List<Dictionary<string, double>> Train(GrpoConfig config)
    {
        using (var trainer = CountdownRun.Create(new CountdownRunConfig { Grpo = config, Task = SmallTask })) trainer.Train();
        return File.ReadAllLines(new RunFolder(config.OutputDir).MetricsPath).Select(l => JsonDocument.Parse(l).RootElement.EnumerateObject()
            .Where(p => p.Value.ValueKind == JsonValueKind.Number).ToDictionary(p => p.Name, p => p.Value.GetDouble())).ToList();
    }

    [Fact]
    public void Server_rollouts_are_the_local_generators_tokens_for_the_same_seed()
    {
        using var server = ServeProcess.Start();
        var config = SmallRun("tokens");
        var tokenizer = QwenTokenizer.FromFolder(Model);
        var tokens = TokenSpec.FromModel(Model, tokenizer);
        var prompts = CountdownRun.Prompts(SmallTask, config.Seed, tokenizer).Take(6).Select(p => p.Ids).ToList();
        var request = new RolloutRequest(prompts, NumGenerations: 4, MaxNewTokens: 48, Temperature: 1f, TopP: 1f, TopK: 0,
            Seed: 42L * 1_000_003 + 5);
        using var model = Qwen2ForCausalLM.FromPretrained(Model);
        using var localSource = new LocalRollouts(model, tokens.EosIds, tokens.PadId);
        var local = localSource.Sample(request);
        // The log-probs the generator gives the same rows (LocalRollouts does not ask for them).
        var reference = Grpo.Model.Generator.Generate(model, prompts.SelectMany(p => Enumerable.Repeat(p, 4)).ToList(),
            new GenerationOptions(48, Seed: request.Seed, LogProbs: true), tokens.EosIds, tokens.PadId);
        Assert.True(local.Select(s => string.Join(',', s.Ids)).Distinct().Count() > 12, "the samples should differ from each other");
        Assert.Contains(local, s => s.Finished);

        foreach (var (api, servers) in new[] { ("vllm", 1), ("sglang", 1), ("vllm", 2), ("sglang", 3) })
        {
            var settings = new ServerRolloutSettings(Enumerable.Repeat(server.Url, servers).ToList(), api, TimeSpan.FromSeconds(60), 0,
                root, root, tokens.EosIds, model.Config.VocabSize);
            using var remote = new ServerRollouts(settings);
            var sampled = remote.Sample(request);
            Assert.Equal(local.Count, sampled.Count);
            for (int i = 0; i < local.Count; i++)
            {
                Assert.True(local[i].Ids.SequenceEqual(sampled[i].Ids), $"{api} x{servers}, row {i}: [{string.Join(',', local[i].Ids)}] locally, [{string.Join(',', sampled[i].Ids)}] from the server");
                Assert.Equal(local[i].Finished, sampled[i].Finished);
                Assert.Equal(local[i].PromptIds, sampled[i].PromptIds);
                for (int t = 0; t < reference[i].Ids.Length; t++)
                    // The same numbers summed in another batch shape: equal up to float32 rounding (1e-5 of a log-prob).
                    Assert.True(Math.Abs(reference[i].LogProbs![t] - sampled[i].LogProbs![t]) <= 1e-5,
                        $"{api} x{servers}, row {i}, token {t}: log-prob {reference[i].LogProbs![t]:R} locally, {sampled[i].LogProbs![t]:R} from the server");
            }
        }
    }

    static readonly string[] SameCurve =
        ["reward", "reward_std", "rewards/format_reward/mean", "rewards/verified_equation_reward/mean", "loss", "grad_norm", "kl", "entropy",
         "completions/mean_length", "clip_ratio", "frac_reward_zero_std"];

    void AssertSameCurve(List<Dictionary<string, double>> local, List<Dictionary<string, double>> remote, string localDir, string remoteDir)
    {
        Assert.Equal(local.Count, remote.Count);
        for (int s = 0; s < local.Count; s++)
        {
            output.WriteLine($"step {s + 1}: reward {local[s]["reward"]:R} / {remote[s]["reward"]:R}, loss {local[s]["loss"]:R} / {remote[s]["loss"]:R}, " +
                $"|dlogp| {remote[s]["sampling/sampling_logp_difference/mean"]:G3} (max {remote[s]["sampling/sampling_logp_difference/max"]:G3}), " +
                $"IS {remote[s]["sampling/importance_sampling_ratio/min"]:R}..{remote[s]["sampling/importance_sampling_ratio/max"]:R}, " +
                $"sampler KL {remote[s]["sampling/kl"]:G3}, sync {remote[s]["time/weight_sync"]:F2}s");
            foreach (var key in SameCurve.Where(local[s].ContainsKey))
                Assert.True(Math.Abs(local[s][key] - remote[s][key]) <= 1e-4 * Math.Max(1, Math.Abs(local[s][key])),
                    $"step {s + 1} {key}: {local[s][key]:R} locally, {remote[s][key]:R} with server rollouts");
            // The same weights on both sides: what is left is the float rounding of two ways to compute a log-prob.
            Assert.InRange(remote[s]["sampling/sampling_logp_difference/mean"], 0, 1e-4);
            Assert.InRange(remote[s]["sampling/importance_sampling_ratio/min"], 0.999, 1.0001);
            Assert.InRange(remote[s]["sampling/importance_sampling_ratio/max"], 0.9999, 1.001);
            Assert.True(remote[s]["time/weight_sync"] > 0);
        }
        // Equal tokens: the completion samples (every completion, as text) are the same file.
        var samples = Path.Combine("completion_samples", "completion_samples.txt");
        Assert.Equal(File.ReadAllText(Path.Combine(localDir, samples)), File.ReadAllText(Path.Combine(remoteDir, samples)));
    }

    [Fact]
    public void Full_fine_tuning_with_sglang_api_rollouts_follows_the_local_run_step_for_step()
    {
        Directory.CreateDirectory(Path.Combine(root, "weights"));
        using var server = ServeProcess.Start(adaptersRoot: Path.Combine(root, "weights"));
        var local = SmallRun("local");
        var remote = OnServer(SmallRun("remote"), server, "sglang");
        AssertSameCurve(Train(local), Train(remote), local.OutputDir, remote.OutputDir);

        // The run's weights went to the server before each step; only the last folder is kept.
        Assert.Equal(["step-2"], Directory.GetDirectories(remote.VllmSyncDir!).Select(Path.GetFileName));
        using var a = Qwen2ForCausalLM.FromPretrained(new RunFolder(local.OutputDir).CheckpointDir(3));
        using var b = Qwen2ForCausalLM.FromPretrained(new RunFolder(remote.OutputDir).CheckpointDir(3));
        foreach (var ((name, x), (_, y)) in a.named_parameters().Zip(b.named_parameters()))
            Assert.True((x - y).abs().max().item<float>() < 1e-5f, $"{name} differs between the runs");
    }

    [Fact]
    public void Lora_with_vllm_api_rollouts_follows_the_local_run_step_for_step()
    {
        Directory.CreateDirectory(Path.Combine(root, "weights"));
        using var server = ServeProcess.Start(adaptersRoot: Path.Combine(root, "weights"));
        // No LoRA dropout: with it, the trainer's log-probs of a step carry a dropout mask the server's do not.
        GrpoConfig Lora(GrpoConfig c) => c with { UsePeft = true, LoraR = 8, LoraAlpha = 16, LoraDropout = 0, LearningRate = 1e-3 };
        var local = Lora(SmallRun("lora-local", steps: 2));
        var remote = OnServer(Lora(SmallRun("lora-remote", steps: 2)), server, "vllm");
        AssertSameCurve(Train(local), Train(remote), local.OutputDir, remote.OutputDir);
        Assert.True(File.Exists(Path.Combine(remote.VllmSyncDir!, "step-1", "adapter_model.safetensors")));
    }

    // ------------------------------------------------------------------ a server killed mid-run

    sealed record Run(int ExitCode, string Stdout, string Stderr);

    /// <summary>`grpo train` in <paramref name="workDir"/>; onLine sees each stdout line as it comes.</summary>
    static Run GrpoTrain(string workDir, IEnumerable<string> args, Action<string>? onLine = null)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = workDir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "grpo.dll"));
        start.ArgumentList.Add("train");
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["NO_COLOR"] = "1";
        using var process = Process.Start(start)!;
        var stdout = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stdout) stdout.AppendLine(e.Data);
            onLine?.Invoke(e.Data);
        };
        process.BeginOutputReadLine();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("grpo train did not finish within 5 minutes:\n" + stdout);
        }
        process.WaitForExit();
        return new Run(process.ExitCode, stdout.ToString(), stderr.Result);
    }

    static string[] TrainFlags(string runDir) =>
    [
        "--model", Model, "--run-dir", runDir, "--quiet", "--max-steps", "4", "--save-steps", "4", "--batch-size", "16",
        "--grad-accum", "1", "--num-generations", "4", "--max-completion-length", "24", "--set", "num_train_problems=64",
    ];

    [Fact]
    public void A_killed_server_stops_the_run_with_one_clear_error_and_the_resumed_run_ends_where_an_uninterrupted_one_does()
    {
        var weights = Path.Combine(root, "weights");
        Directory.CreateDirectory(weights);
        var server = ServeProcess.Start(adaptersRoot: weights);
        int port = server.Port;
        string[] onServer(string url) => ["--set", "use_vllm=true", "--set", $"vllm_server_base_url={url}", "--set", "vllm_server_retries=1",
            "--set", $"vllm_sync_dir={weights}"];
        var runDir = Path.Combine(root, "killed");
        // The run talks to the server through a forwarding proxy that kills the server when the third weight reload
        // arrives (step-2, the sync before step 3; the first loads the starting weights): the run meets a dead server
        // at a fixed point, not wherever a kill raced to.
        using var forward = new HttpClient();
        int reloads = 0;
        Run stopped;
        using (var proxy = new Grpo.Tests.Rollouts.FakeRolloutServer(r =>
        {
            if (r.Path == SglangWire.UpdateWeightsPath && Interlocked.Increment(ref reloads) == 3) server.Kill();
            try
            {
                using var content = new StringContent(r.Body?.ToJsonString() ?? "", System.Text.Encoding.UTF8, "application/json");
                using var answer = (r.Method == "GET" ? forward.GetAsync(server.Url + r.Path) : forward.PostAsync(server.Url + r.Path, content))
                    .GetAwaiter().GetResult();
                return ((int)answer.StatusCode, answer.Content.ReadAsStringAsync().GetAwaiter().GetResult());
            }
            catch (HttpRequestException e) { return (502, new JsonObject { ["error"] = e.Message }.ToJsonString()); }
        }, answerModels: false))
        {
            try { stopped = GrpoTrain(root, [.. TrainFlags(runDir), .. onServer(proxy.Url)]); }
            finally { server.Dispose(); }
            output.WriteLine(stopped.Stderr);
            Assert.StartsWith("error: rollout server " + proxy.Url + SglangWire.UpdateWeightsPath, stopped.Stderr);
        }

        Assert.Equal(1, stopped.ExitCode);
        var error = Assert.Single(stopped.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("stopped before step 3 of 4: checkpoint-2 holds every step trained", error);
        Assert.DoesNotContain("   at ", stopped.Stdout + stopped.Stderr);
        Assert.True(RunFolder.IsComplete(new RunFolder(runDir).CheckpointDir(2)));

        // The server comes back (on the same port) and the run continues from checkpoint-2.
        using var restarted = ServeProcess.Start(adaptersRoot: weights, port: port);
        var resumed = GrpoTrain(root, ["--run-dir", runDir, "--resume", "--quiet", .. onServer(restarted.Url)]);
        Assert.True(resumed.ExitCode == 0, resumed.Stdout + resumed.Stderr);
        Assert.Contains("resuming", resumed.Stdout);

        var uninterrupted = GrpoTrain(root, TrainFlags(Path.Combine(root, "uninterrupted")));
        Assert.True(uninterrupted.ExitCode == 0, uninterrupted.Stdout + uninterrupted.Stderr);
        static List<JsonElement> Metrics(string dir) =>
            File.ReadAllLines(Path.Combine(dir, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var a = Metrics(Path.Combine(root, "uninterrupted"));
        var b = Metrics(runDir);
        Assert.Equal([1, 2, 3, 4], b.Select(m => m.GetProperty("step").GetInt32()));
        for (int s = 0; s < 4; s++)
            foreach (var key in new[] { "reward", "loss", "grad_norm", "completions/mean_length" })
            {
                double x = a[s].GetProperty(key).GetDouble(), y = b[s].GetProperty(key).GetDouble();
                Assert.True(Math.Abs(x - y) <= 1e-4 * Math.Max(1, Math.Abs(x)), $"step {s + 1} {key}: {x:R} uninterrupted, {y:R} killed and resumed");
            }
    }
}
