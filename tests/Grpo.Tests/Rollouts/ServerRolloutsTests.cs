// The rollout client against scripted servers: prompts spread across servers and put back in order, the seeds that
// name each row's stream, retries of failures that may pass and none of refusals, one clear error naming the URL for
// a server that is down or answers something malformed, and the weight sync's requests and folders.
using System.Text.Json.Nodes;
using Grpo.Rollouts;
using Xunit;

namespace Grpo.Tests.Rollouts;

public sealed class ServerRolloutsTests : IDisposable
{
    readonly string weights = Directory.CreateTempSubdirectory("grpo-rollout-weights").FullName;
    public void Dispose() => Directory.Delete(weights, recursive: true);

    static readonly RolloutRequest Request = new([[1, 9], [2, 9], [3, 9], [4, 9]], NumGenerations: 2, MaxNewTokens: 4,
        Temperature: 1f, TopP: 1f, TopK: 0, Seed: 5_000_042);

    ServerRolloutSettings Settings(string api, params string[] urls) =>
        new(urls, api, TimeSpan.FromSeconds(20), Retries: 2, weights, "/srv/weights", StopTokenIds: [2], VocabSize: 1000)
        { Backoff = TimeSpan.FromMilliseconds(20) };

    [Fact]
    public void Prompts_are_spread_over_the_servers_in_contiguous_parts_and_come_back_in_order()
    {
        using var a = new FakeRolloutServer(r => (200, FakeRolloutServer.VllmAnswer(r.Body!)));
        using var b = new FakeRolloutServer(r => (200, FakeRolloutServer.VllmAnswer(r.Body!)));
        using var rollouts = new ServerRollouts(Settings("vllm", a.Url, b.Url));
        var samples = rollouts.Sample(Request);

        Assert.Equal([100, 101, 200, 201, 300, 301, 400, 401], samples.Select(s => s.Ids[0]));
        Assert.All(samples, s => Assert.Equal([-0.5f, -0.25f], s.LogProbs!));
        Assert.Equal([1, 2], a.Requests.Select(r => (int)r.Body!["prompt"]![0]!).Order());
        Assert.Equal([3, 4], b.Requests.Select(r => (int)r.Body!["prompt"]![0]!).Order());
        // Prompt p's request is seeded at stream p * G of the batch seed; the server's k-th completion takes stream p * G + k.
        foreach (var r in a.Requests.Concat(b.Requests))
        {
            int p = (int)r.Body!["prompt"]![0]! - 1;
            Assert.Equal(RolloutSeeds.Encode(Request.Seed, p * 2), (long)r.Body["seed"]!);
            Assert.Equal("base", (string)r.Body["model"]!);
        }
    }

    [Fact]
    public void Sglang_api_sends_each_server_its_rows_in_one_generate_call_with_a_seed_per_row()
    {
        static string Answer(JsonNode body) => new JsonArray(body["input_ids"]!.AsArray().Select((row, i) => (JsonNode)new JsonObject
        {
            ["output_ids"] = new JsonArray((int)row![0]! * 100 + i, 2),
            ["meta_info"] = new JsonObject
            {
                ["finish_reason"] = new JsonObject { ["type"] = "stop" },
                ["output_token_logprobs"] = new JsonArray(new JsonArray(-0.5, (int)row[0]! * 100 + i, null), new JsonArray(-0.25, 2, null)),
            },
        }).ToArray()).ToJsonString();
        using var a = new FakeRolloutServer(r => (200, Answer(r.Body!)));
        using var b = new FakeRolloutServer(r => (200, Answer(r.Body!)));
        using var rollouts = new ServerRollouts(Settings("sglang", a.Url, b.Url));
        var samples = rollouts.Sample(Request);

        Assert.Equal([100, 101, 202, 203, 300, 301, 402, 403], samples.Select(s => s.Ids[0]));
        var seeds = a.Requests.Single().Body!["sampling_params"]!.AsArray().Select(p => (long)p!["sampling_seed"]!);
        Assert.Equal(Enumerable.Range(0, 4).Select(r => RolloutSeeds.Encode(Request.Seed, r)), seeds);
        Assert.Equal(Enumerable.Range(4, 4).Select(r => RolloutSeeds.Encode(Request.Seed, r)),
            b.Requests.Single().Body!["sampling_params"]!.AsArray().Select(p => (long)p!["sampling_seed"]!));
    }

    [Fact]
    public void A_server_that_is_down_is_an_error_naming_its_url()
    {
        var url = $"http://127.0.0.1:{FakeRolloutServer.FreePort()}";
        // A refused connection fails at once; the timeout is generous so a busy machine cannot turn it into a timeout.
        using var rollouts = new ServerRollouts(Settings("vllm", url) with { Timeout = TimeSpan.FromSeconds(60) });
        var e = Assert.Throws<RolloutServerException>(() => rollouts.Sample(Request));
        Assert.Contains(url + "/v1/models", e.Message);
        Assert.Contains("connection refused", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public void A_5xx_answer_is_tried_again_and_a_4xx_answer_is_not()
    {
        int calls = 0;
        using var flaky = new FakeRolloutServer(r => Interlocked.Increment(ref calls) <= 2 ? (503, "busy") : (200, FakeRolloutServer.VllmAnswer(r.Body!)));
        using (var rollouts = new ServerRollouts(Settings("vllm", flaky.Url)))
            Assert.Equal(8, rollouts.Sample(Request with { Prompts = [[1], [2], [3], [4]] }).Count);
        Assert.Equal(6, flaky.Requests.Count);   // two refusals, then the four prompts

        using var refusing = new FakeRolloutServer(_ => (400, """{"error": {"message": "max_tokens is too large"}}"""));
        using var refused = new ServerRollouts(Settings("vllm", refusing.Url));
        var e = Assert.Throws<RolloutServerException>(() => refused.Sample(Request with { Prompts = [[1]] }));
        Assert.Single(refusing.Requests);
        Assert.Contains($"{refusing.Url}/v1/completions answered 400", e.Message);
        Assert.Contains("max_tokens is too large", e.Message);
    }

    [Fact]
    public void Failures_that_persist_end_after_the_retries_with_the_url_and_the_count()
    {
        using var broken = new FakeRolloutServer(_ => (502, "bad gateway"));
        using var rollouts = new ServerRollouts(Settings("vllm", broken.Url));
        var e = Assert.Throws<RolloutServerException>(() => rollouts.Sample(Request with { Prompts = [[1]] }));
        Assert.Equal(3, broken.Requests.Count);   // the first try and two retries
        Assert.Contains($"{broken.Url}/v1/completions answered 502", e.Message);
    }

    [Fact]
    public void A_malformed_answer_is_an_error_naming_the_url_and_the_field()
    {
        using var odd = new FakeRolloutServer(_ => (200, """{"choices": [{"index": 0, "text": "hi"}]}"""));
        using var rollouts = new ServerRollouts(Settings("vllm", odd.Url));
        var e = Assert.Throws<RolloutServerException>(() => rollouts.Sample(Request with { Prompts = [[1]], NumGenerations = 1 }));
        Assert.Contains($"{odd.Url}/v1/completions answered something malformed", e.Message);
        Assert.Contains("choices[0].logprobs", e.Message);
    }

    [Fact]
    public void Lora_sync_writes_the_adapter_folder_loads_it_unloads_the_last_one_and_completions_name_it()
    {
        using var server = new FakeRolloutServer(r => (200, r.Path == "/v1/completions" ? FakeRolloutServer.VllmAnswer(r.Body!) : "Success"));
        using var rollouts = new ServerRollouts(Settings("vllm", server.Url));
        rollouts.UsePolicy(new PolicyWeights(0, IsAdapter: true, dir => File.WriteAllText(Path.Combine(dir, "adapter_config.json"), "{}")));
        rollouts.UsePolicy(new PolicyWeights(3, IsAdapter: true, dir => File.WriteAllText(Path.Combine(dir, "adapter_config.json"), "{}")));
        rollouts.Sample(Request with { Prompts = [[1]] });

        var calls = server.Requests.Select(r => (r.Path, Name: (string?)r.Body?["lora_name"], LoraPath: (string?)r.Body?["lora_path"])).ToList();
        Assert.Equal("/v1/load_lora_adapter", calls[0].Path);
        Assert.Equal("/srv/weights/step-0", calls[0].LoraPath);
        Assert.Equal(("/v1/unload_lora_adapter", calls[0].Name, null), calls[1]);
        Assert.Equal("/v1/load_lora_adapter", calls[2].Path);
        Assert.Equal("/srv/weights/step-3", calls[2].LoraPath);
        Assert.EndsWith("-step-3", calls[2].Name);
        Assert.Equal(calls[2].Name, (string)server.Requests[3].Body!["model"]!);
        // Only the folder the server uses now is kept.
        Assert.Equal(["step-3"], Directory.GetDirectories(weights).Select(Path.GetFileName));
    }

    [Fact]
    public void Full_weight_sync_asks_for_update_weights_from_disk_and_a_failure_answer_is_an_error()
    {
        using var server = new FakeRolloutServer(r => (200, """{"success": true, "message": "ok", "num_paused_requests": 0}"""));
        using (var rollouts = new ServerRollouts(Settings("sglang", server.Url)))
            rollouts.UsePolicy(new PolicyWeights(2, IsAdapter: false, dir => File.WriteAllText(Path.Combine(dir, "config.json"), "{}")));
        Assert.Equal(("/update_weights_from_disk", "/srv/weights/step-2"), (server.Requests[0].Path, (string)server.Requests[0].Body!["model_path"]!));
        Assert.True(File.Exists(Path.Combine(weights, "step-2", "config.json")));

        using var failing = new FakeRolloutServer(_ => (400, """{"success": false, "message": "Failed to get weights iterator"}"""));
        using (var failed = new ServerRollouts(Settings("sglang", failing.Url)))
        {
            var e = Assert.Throws<RolloutServerException>(() => failed.UsePolicy(new PolicyWeights(1, false, _ => { })));
            Assert.Contains($"{failing.Url}/update_weights_from_disk answered 400", e.Message);
            Assert.Contains("Failed to get weights iterator", e.Message);
        }

        // vLLM answers 404 Not Found to the path: the error says what to do instead.
        using var vllm = new FakeRolloutServer(_ => (404, """{"detail": "Not Found"}"""));
        using var noEndpoint = new ServerRollouts(Settings("vllm", vllm.Url));
        var notFound = Assert.Throws<RolloutServerException>(() => noEndpoint.UsePolicy(new PolicyWeights(1, false, _ => { })));
        Assert.Contains("vLLM has no endpoint that reloads full weights from disk", notFound.Message);
    }
}
