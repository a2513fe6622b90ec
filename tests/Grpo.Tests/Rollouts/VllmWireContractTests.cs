// Contract tests of vLLM's /v1/completions and LoRA endpoints as the rollout client and `grpo serve` use them. The
// answers below are written from vLLM's own definitions (read 2026-07): CompletionResponse / CompletionResponseChoice /
// CompletionLogProbs in vllm/entrypoints/openai/completion/protocol.py, the choice order and "token_id:N" tokens of
// vllm/entrypoints/openai/completion/serving.py, token_ids ending with the end token as
// tests/entrypoints/openai/test_return_token_ids.py asserts, and the request bodies of docs/features/lora.md.
using System.Text.Json.Nodes;
using Grpo.Rollouts;
using Xunit;

namespace Grpo.Tests.Rollouts;

public class VllmWireContractTests
{
    const int Vocab = 151936, ImEnd = 151645;
    static readonly RolloutRequest Request = new([[151644, 872, 198]], NumGenerations: 2, MaxNewTokens: 16, Temperature: 0.7f,
        TopP: 0.95f, TopK: 0, Seed: 42_000_126);

    /// <summary>A vLLM answer to n = 2 with return_token_ids, logprobs 0 and return_tokens_as_token_ids, choices in
    /// vLLM's order (index = position).</summary>
    static JsonNode Answer() => JsonNode.Parse("""
        {"id": "cmpl-8c1", "object": "text_completion", "created": 1765000000, "model": "Qwen/Qwen2.5-0.5B-Instruct",
         "choices": [
          {"index": 0, "text": "Hi", "finish_reason": "stop", "stop_reason": null,
           "logprobs": {"text_offset": [0, 2], "token_logprobs": [-0.25, -0.125],
                        "tokens": ["token_id:13048", "token_id:151645"],
                        "top_logprobs": [{"token_id:13048": -0.25}, {"token_id:151645": -0.125}]},
           "token_ids": [13048, 151645], "prompt_token_ids": [151644, 872, 198], "prompt_logprobs": null},
          {"index": 1, "text": "Hello there", "finish_reason": "length", "stop_reason": null,
           "logprobs": {"text_offset": [0, 5, 11], "token_logprobs": [-1.5, -2.0, -9999.0],
                        "tokens": ["token_id:9707", "token_id:1052", "token_id:11"],
                        "top_logprobs": [{"token_id:9707": -1.5}, {"token_id:1052": -2.0}, {"token_id:11": -9999.0}]},
           "token_ids": [9707, 1052, 11], "prompt_token_ids": [151644, 872, 198], "prompt_logprobs": null}],
         "usage": {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8}}
        """)!;

    [Fact]
    public void Client_request_sends_token_ids_n_every_sampling_setting_and_asks_for_ids_and_logprobs()
    {
        var body = VllmWire.CompletionRequest("my-model", Request.Prompts[0], Request, seed: 7, stopTokenIds: [ImEnd, 151643]);
        Assert.Equal("my-model", (string)body["model"]!);
        Assert.Equal([151644, 872, 198], body["prompt"]!.AsArray().Select(x => (int)x!));
        Assert.Equal(2, (int)body["n"]!);
        Assert.Equal(16, (int)body["max_tokens"]!);
        Assert.Equal(0.7f, (float)body["temperature"]!);
        Assert.Equal(0.95f, (float)body["top_p"]!);
        Assert.Equal(-1, (int)body["top_k"]!);           // "all tokens" in every vLLM version (0 only in recent ones)
        Assert.Equal(7L, (long)body["seed"]!);
        Assert.Equal([ImEnd, 151643], body["stop_token_ids"]!.AsArray().Select(x => (int)x!));
        Assert.Equal(0, (int)body["logprobs"]!);          // the sampled token's log-prob only
        Assert.True((bool)body["return_token_ids"]!);
        Assert.True((bool)body["return_tokens_as_token_ids"]!);
        // The neutral values, sent so that a server default from generation_config.json cannot apply.
        Assert.Equal(1.0, (double)body["repetition_penalty"]!);
        Assert.Equal(0.0, (double)body["min_p"]!);
    }

    [Fact]
    public void A_completion_answer_gives_ids_log_probs_and_finished_flags_in_index_order()
    {
        var samples = VllmWire.ParseCompletion(Answer(), Request.Prompts[0], 2, 16, Vocab);
        Assert.Equal([13048, ImEnd], samples[0].Ids);
        Assert.True(samples[0].Finished);
        Assert.Equal([-0.25f, -0.125f], samples[0].LogProbs!);
        Assert.Equal([9707, 1052, 11], samples[1].Ids);
        Assert.False(samples[1].Finished);
        Assert.Equal(-9999f, samples[1].LogProbs![2]);
        Assert.Same(Request.Prompts[0], samples[1].PromptIds);
    }

    [Fact]
    public void Choices_out_of_order_are_put_back_by_index()
    {
        var answer = Answer();
        var choices = answer["choices"]!.AsArray();
        var first = choices[0]!;
        choices.RemoveAt(0);
        choices.Add(first);
        var samples = VllmWire.ParseCompletion(answer, Request.Prompts[0], 2, 16, Vocab);
        Assert.Equal([13048, ImEnd], samples[0].Ids);
    }

    [Fact]
    public void Without_token_ids_the_ids_come_from_the_token_id_strings_of_the_log_probs()
    {
        var answer = Answer();
        foreach (var c in answer["choices"]!.AsArray()) c!.AsObject().Remove("token_ids");
        var samples = VllmWire.ParseCompletion(answer, Request.Prompts[0], 2, 16, Vocab);
        Assert.Equal([9707, 1052, 11], samples[1].Ids);
    }

    [Theory]
    [InlineData("choices", "choices must be a list")]
    [InlineData("count", "choices holds 1 completions, 2 were asked for")]
    [InlineData("logprobs", "choices[0].logprobs.token_logprobs[1] must be a number")]
    [InlineData("length", "choices[1]: 2 log-probs for 3 tokens")]
    [InlineData("vocab", "choices[0].token_ids[0] = 999999 is outside [0, 151936)")]
    [InlineData("reason", "choices[1].finish_reason is \"abort\"")]
    [InlineData("text-tokens", "not \"token_id:N\"")]
    public void A_malformed_answer_is_an_error_naming_the_field(string defect, string message)
    {
        var answer = Answer();
        var choices = answer["choices"]!.AsArray();
        switch (defect)
        {
            case "choices": answer.AsObject()["choices"] = "none"; break;
            case "count": choices.RemoveAt(1); break;
            case "logprobs": choices[0]!["logprobs"]!["token_logprobs"]!.AsArray()[1] = null; break;
            case "length": choices[1]!["logprobs"]!["token_logprobs"]!.AsArray().RemoveAt(0); break;
            case "vocab": choices[0]!["token_ids"]!.AsArray()[0] = 999999; break;
            case "reason": choices[1]!["finish_reason"] = "abort"; break;
            case "text-tokens":
                choices[0]!.AsObject().Remove("token_ids");
                choices[0]!["logprobs"]!["tokens"]!.AsArray()[0] = "Hi";
                break;
        }
        var e = Assert.Throws<WireFormatException>(() => VllmWire.ParseCompletion(answer, Request.Prompts[0], 2, 16, Vocab));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void More_tokens_than_max_tokens_is_malformed()
    {
        var e = Assert.Throws<WireFormatException>(() => VllmWire.ParseCompletion(Answer(), Request.Prompts[0], 2, 2, Vocab));
        Assert.Contains("3 tokens, max_tokens was 2", e.Message);
    }

    [Fact]
    public void Lora_requests_and_the_models_list_have_the_documented_shapes()
    {
        // docs/features/lora.md: -d '{"lora_name": "sql_adapter", "lora_path": "/path/to/sql-lora-adapter"}'
        Assert.Equal("""{"lora_name":"sql_adapter","lora_path":"/path/to/sql-lora-adapter"}""",
            VllmWire.LoadLoraRequest("sql_adapter", "/path/to/sql-lora-adapter").ToJsonString());
        Assert.Equal("""{"lora_name":"sql_adapter"}""", VllmWire.UnloadLoraRequest("sql_adapter").ToJsonString());
        // docs/features/lora.md, `curl localhost:8000/v1/models`: the base model first, adapters after it.
        var models = JsonNode.Parse("""
            {"object": "list", "data": [{"id": "meta-llama/Llama-2-7b-hf", "object": "model", "parent": null},
                                        {"id": "sql-lora", "object": "model", "parent": "meta-llama/Llama-2-7b-hf"}]}
            """);
        Assert.Equal("meta-llama/Llama-2-7b-hf", VllmWire.FirstModelId(models));
    }

    // ------------------------------------------------------------------ the server's side

    [Fact]
    public void The_servers_parser_reads_the_docs_example_request()
    {
        // docs/features/lora.md: {"model": "sql-lora", "prompt": "San Francisco is a", "max_tokens": 7, "temperature": 0}
        var (call, tokenIds, _, n) = VllmWire.ParseCompletionRequest(
            JsonNode.Parse("""{"model": "sql-lora", "prompt": "San Francisco is a", "max_tokens": 7, "temperature": 0}""")!.AsObject(), Vocab);
        Assert.Equal("sql-lora", call.Model);
        Assert.Equal("San Francisco is a", Assert.Single(call.Rows).PromptText);
        Assert.True(call.Sampling.Greedy);
        Assert.Equal(7, call.Sampling.MaxTokens);
        Assert.Equal(1, n);
        Assert.False(tokenIds);
        Assert.False(call.LogProbs);
    }

    [Fact]
    public void Several_token_id_prompts_with_n_become_prompt_major_rows_seeded_as_vllm_seeds_its_children()
    {
        var (call, _, _, n) = VllmWire.ParseCompletionRequest(
            JsonNode.Parse("""{"prompt": [[1, 2], [3]], "n": 3, "seed": 100, "logprobs": 0, "top_k": -1}""")!.AsObject(), Vocab);
        Assert.Equal(3, n);
        Assert.Equal([[1, 2], [1, 2], [1, 2], [3], [3], [3]], call.Rows.Select(r => r.PromptIds!));
        Assert.Equal([100L, 101, 102, 100, 101, 102], call.Rows.Select(r => r.Seed!.Value));   // ParentRequest: seed + index
        Assert.Equal(0, call.Sampling.TopK);
        Assert.True(call.LogProbs);
        Assert.Equal(16, call.Sampling.MaxTokens);   // vLLM's default max_tokens
    }

    [Theory]
    [InlineData("""{"prompt": [1], "stream": true}""", "stream")]
    [InlineData("""{"prompt": [1], "echo": true}""", "echo")]
    [InlineData("""{"prompt": [1], "logprobs": 5}""", "logprobs 5")]
    [InlineData("""{"prompt": [1], "repetition_penalty": 1.1}""", "repetition_penalty")]
    [InlineData("""{"prompt": [1], "top_p": 0}""", "top_p")]
    [InlineData("""{"prompt": [1], "n": 0}""", "n must be >= 1")]
    [InlineData("""{"prompt": [1, 999999]}""", "prompt[1] = 999999")]
    [InlineData("""{"prompt": []}""", "prompt is an empty list")]
    [InlineData("""{"prompt": [1], "temperature": "hot"}""", "temperature must be a number")]
    public void The_server_refuses_what_it_cannot_honour_naming_the_field(string json, string message)
    {
        var e = Assert.Throws<WireFormatException>(() => VllmWire.ParseCompletionRequest(JsonNode.Parse(json)!.AsObject(), Vocab));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void The_servers_answer_reads_back_through_the_client_parser()
    {
        var call = new CompletionCall(null, [new CallRow([5, 6], null, 1), new CallRow([5, 6], null, 2)],
            new SamplingCall(4, false, 1, 1, 0, [], [], false, true), LogProbs: true);
        var rows = new List<RowResult>
        {
            new([5, 6], [7, ImEnd], [-0.5f, -0.25f], "stop", null, "x", ["x", ""]),
            new([5, 6], [8, 9, 10, 11], [-1f, -2f, -3f, -4f], "length", null, "yz", ["y", "z", "", ""]),
        };
        var answer = VllmWire.CompletionResponse("m", call, rows, tokenIds: true, tokensAsIds: true);
        Assert.Equal("token_id:7", (string)answer["choices"]![0]!["logprobs"]!["tokens"]![0]!);
        var samples = VllmWire.ParseCompletion(JsonNode.Parse(answer.ToJsonString()), [5, 6], 2, 4, Vocab);
        Assert.Equal([7, ImEnd], samples[0].Ids);
        Assert.True(samples[0].Finished);
        Assert.Equal([-1f, -2f, -3f, -4f], samples[1].LogProbs!);
        Assert.False(samples[1].Finished);
    }
}
