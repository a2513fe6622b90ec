// Contract tests of SGLang's native /generate, /update_weights_from_disk and LoRA endpoints as the rollout client and
// `grpo serve` use them. Shapes from SGLang (read 2026-07): docs/basic_usage/sampling_params.md (request fields and its
// /generate examples), python/sglang/srt/sampling/sampling_params.py (sampling_seed), tokenizer_manager.py's
// meta_info (output_token_logprobs as [logprob, token_id, text or null], finish_reason {"type", ...}), and
// http_server.py / io_struct.py (update_weights_from_disk answers {success, message, num_paused_requests}).
using System.Text.Json.Nodes;
using Grpo.Rollouts;
using Xunit;

namespace Grpo.Tests.Rollouts;

public class SglangWireContractTests
{
    const int Vocab = 151936;
    static readonly RolloutRequest Request = new([[1, 2, 3]], NumGenerations: 2, MaxNewTokens: 8, Temperature: 1f, TopP: 1f, TopK: 50, Seed: 9);

    /// <summary>A batched /generate answer with return_logprob: one object per input, in input order.</summary>
    static JsonNode Answer() => JsonNode.Parse("""
        [{"text": "ok", "output_ids": [20, 151645],
          "meta_info": {"id": "a1", "finish_reason": {"type": "stop", "matched": 151645}, "prompt_tokens": 3, "completion_tokens": 2,
                        "output_token_logprobs": [[-0.5, 20, null], [-0.03125, 151645, null]]}},
         {"text": "no no", "output_ids": [21, 22, 23],
          "meta_info": {"id": "a2", "finish_reason": {"type": "length", "length": 3}, "prompt_tokens": 3, "completion_tokens": 3,
                        "output_token_logprobs": [[-1.0, 21, null], [-2.0, 22, null], [-4.0, 23, null]]}}]
        """)!;

    [Fact]
    public void Client_request_sends_one_input_per_row_each_with_its_own_seed_and_every_sampling_setting()
    {
        var body = SglangWire.GenerateRequest([[1, 2, 3], [1, 2, 3]], [70, 71], Request, [151645], adapter: "grpo-step-3");
        Assert.Equal(2, body["input_ids"]!.AsArray().Count);
        Assert.Equal([1, 2, 3], body["input_ids"]![1]!.AsArray().Select(x => (int)x!));
        var p = body["sampling_params"]!.AsArray();
        Assert.Equal([70L, 71L], p.Select(x => (long)x!["sampling_seed"]!));
        Assert.Equal(8, (int)p[0]!["max_new_tokens"]!);
        Assert.Equal(50, (int)p[0]!["top_k"]!);
        Assert.Equal(1, (int)p[0]!["n"]!);
        Assert.Equal([151645], p[0]!["stop_token_ids"]!.AsArray().Select(x => (int)x!));
        Assert.True((bool)body["return_logprob"]!);
        Assert.Equal("grpo-step-3", (string)body["lora_path"]!);
        Assert.Equal(-1, (int)SglangWire.GenerateRequest([[1]], [0], Request with { TopK = 0 }, [], null)["sampling_params"]![0]!["top_k"]!);
    }

    [Fact]
    public void A_generate_answer_gives_ids_log_probs_and_finished_flags()
    {
        var samples = SglangWire.ParseGenerate(Answer(), [[1, 2, 3], [1, 2, 3]], 8, Vocab);
        Assert.Equal([20, 151645], samples[0].Ids);
        Assert.True(samples[0].Finished);
        Assert.Equal([-0.5f, -0.03125f], samples[0].LogProbs!);
        Assert.Equal([21, 22, 23], samples[1].Ids);
        Assert.False(samples[1].Finished);
    }

    [Theory]
    [InlineData("object", "answer must be a list")]
    [InlineData("count", "the answer holds 1 completions, 2 were asked for")]
    [InlineData("ids", "[1].output_ids differ")]
    [InlineData("entry", "[0].meta_info.output_token_logprobs[1] must be [logprob, token_id, text]")]
    [InlineData("reason", "[1].meta_info.finish_reason.type is \"abort\"")]
    [InlineData("nologprob", "[0].meta_info.output_token_logprobs (return_logprob) must be a list")]
    public void A_malformed_answer_is_an_error_naming_the_field(string defect, string message)
    {
        var answer = Answer();
        var list = answer.AsArray();
        switch (defect)
        {
            case "object": answer = new JsonObject { ["text"] = "x" }; break;
            case "count": list.RemoveAt(1); break;
            case "ids": list[1]!["output_ids"]!.AsArray()[0] = 99; break;
            case "entry": list[0]!["meta_info"]!["output_token_logprobs"]!.AsArray()[1] = new JsonArray(-1.0); break;
            case "reason": list[1]!["meta_info"]!["finish_reason"]!["type"] = "abort"; break;
            case "nologprob": list[0]!["meta_info"]!.AsObject().Remove("output_token_logprobs"); break;
        }
        var e = Assert.Throws<WireFormatException>(() => SglangWire.ParseGenerate(answer, [[1, 2, 3], [1, 2, 3]], 8, Vocab));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Update_weights_from_disk_sends_the_path_and_a_failure_answer_is_an_error_with_its_message()
    {
        Assert.Equal("""{"model_path":"/ckpt/step-3"}""", SglangWire.UpdateWeightsRequest("/ckpt/step-3").ToJsonString());
        SglangWire.RequireSuccess(JsonNode.Parse("""{"success": true, "message": "Succeeded to update model weights.", "num_paused_requests": 0}"""));
        var e = Assert.Throws<WireFormatException>(() => SglangWire.RequireSuccess(
            JsonNode.Parse("""{"success": false, "message": "Failed to get weights iterator: /ckpt/step-3", "num_paused_requests": 0}""")));
        Assert.Contains("Failed to get weights iterator", e.Message);
    }

    // ------------------------------------------------------------------ the server's side

    [Fact]
    public void The_servers_parser_reads_the_docs_example_request_as_one_input()
    {
        // docs/basic_usage/sampling_params.md: {"text": "The capital of France is", "sampling_params": {"temperature": 0, "max_new_tokens": 32}}
        var (call, single, _) = SglangWire.ParseGenerateRequest(
            JsonNode.Parse("""{"text": "The capital of France is", "sampling_params": {"temperature": 0, "max_new_tokens": 32}}""")!.AsObject(), Vocab);
        Assert.True(single);
        Assert.Equal("The capital of France is", Assert.Single(call.Rows).PromptText);
        Assert.True(call.Sampling.Greedy);
        Assert.Equal(32, call.Sampling.MaxTokens);
    }

    [Fact]
    public void Batched_input_ids_with_per_input_seeds_and_n_become_rows()
    {
        var (call, single, _) = SglangWire.ParseGenerateRequest(JsonNode.Parse("""
            {"input_ids": [[1, 2], [3]], "return_logprob": true, "lora_path": "a",
             "sampling_params": [{"max_new_tokens": 4, "sampling_seed": 10, "n": 2, "top_k": -1}, {"max_new_tokens": 4, "sampling_seed": 20, "n": 2, "top_k": -1}]}
            """)!.AsObject(), Vocab);
        Assert.False(single);
        Assert.Equal([10L, 11, 20, 21], call.Rows.Select(r => r.Seed!.Value));
        Assert.Equal([[1, 2], [1, 2], [3], [3]], call.Rows.Select(r => r.PromptIds!));
        Assert.Equal("a", call.Model);
        Assert.True(call.LogProbs);
        Assert.Equal(0, call.Sampling.TopK);
    }

    [Theory]
    [InlineData("""{"input_ids": [[1], [2]], "sampling_params": [{"temperature": 1}, {"temperature": 0.5}]}""", "same sampling params")]
    [InlineData("""{"input_ids": [1], "stream": true}""", "stream")]
    [InlineData("""{"input_ids": [1], "sampling_params": {"regex": "a+"}}""", "constrained decoding")]
    [InlineData("""{"input_ids": [1], "sampling_params": {"top_k": 0}}""", "top_k must be >= 1 or -1")]
    [InlineData("""{"sampling_params": {}}""", "give text or input_ids")]
    [InlineData("""{"input_ids": [[1], [2]], "sampling_params": [{}]}""", "1 entries for 2 inputs")]
    public void The_server_refuses_what_it_cannot_honour_naming_the_field(string json, string message)
    {
        var e = Assert.Throws<WireFormatException>(() => SglangWire.ParseGenerateRequest(JsonNode.Parse(json)!.AsObject(), Vocab));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void The_servers_answer_reads_back_through_the_client_parser()
    {
        var call = new CompletionCall(null, [new CallRow([1], null, 5), new CallRow([1], null, 6)], new SamplingCall(3, false, 1, 1, 0, [], [], false, true), true);
        var rows = new List<RowResult>
        {
            new([1], [4, 2], [-0.1f, -0.2f], "stop", null, "", ["", ""]),
            new([1], [5, 6, 7], [-1f, -1.5f, -3f], "length", null, "", ["", "", ""]),
        };
        var answer = SglangWire.GenerateResponse(call, rows, single: false);
        Assert.Equal("stop", (string)answer[0]!["meta_info"]!["finish_reason"]!["type"]!);
        Assert.Equal(2, (int)answer[0]!["meta_info"]!["finish_reason"]!["matched"]!);
        var samples = SglangWire.ParseGenerate(JsonNode.Parse(answer.ToJsonString()), [[1], [1]], 3, Vocab);
        Assert.Equal([5, 6, 7], samples[1].Ids);
        Assert.Equal([-0.1f, -0.2f], samples[0].LogProbs!);
    }
}
