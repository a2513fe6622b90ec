// `grpo serve` as an HTTP server: adapters load only from inside --adapters-root, requests are held to the size and
// n limits, every error is one line of JSON with its status, and its LoRA endpoints change what /v1/models lists and
// what a request naming the adapter gets. One server for the class (started with small limits).
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Grpo.Model;
using Grpo.Training;
using Grpo.Training.Lora;
using Xunit;

namespace Grpo.Tests.Serving;

public sealed class ServeFixture : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("grpo-serve-http").FullName;
    public string Adapters => Path.Combine(Root, "adapters");
    public ServeProcess Server { get; }
    public HttpClient Http { get; } = new();

    public ServeFixture()
    {
        Directory.CreateDirectory(Adapters);
        Server = ServeProcess.Start(Adapters, 0, "--max-n", "8", "--max-request-bytes", "4096", "--served-model-name", "tiny");
    }

    public void Dispose()
    {
        Server.Dispose();
        Http.Dispose();
        Directory.Delete(Root, recursive: true);
    }
}

public sealed class ServeHttpTests(ServeFixture fixture) : IClassFixture<ServeFixture>
{
    (HttpStatusCode Status, string Body) Post(string path, string json)
    {
        using var answer = fixture.Http.PostAsync(fixture.Server.Url + path, new StringContent(json, Encoding.UTF8, "application/json")).Result;
        return (answer.StatusCode, answer.Content.ReadAsStringAsync().Result);
    }

    /// <summary>The status, and the message of a one-line {"error": {"message", "type", "param", "code"}} body.</summary>
    static string ErrorMessage((HttpStatusCode Status, string Body) answer, HttpStatusCode expected)
    {
        Assert.Equal(expected, answer.Status);
        Assert.Single(answer.Body.Trim().Split('\n'));
        var error = JsonNode.Parse(answer.Body)!["error"]!;
        Assert.Equal((int)expected, (int)error["code"]!);
        return (string)error["message"]!;
    }

    [Fact]
    public void An_adapter_path_outside_the_allowed_folder_is_refused()
    {
        var outside = Directory.CreateTempSubdirectory("grpo-outside").FullName;
        try
        {
            Assert.Contains("outside the allowed folder", ErrorMessage(Post("/v1/load_lora_adapter", $$"""{"lora_name": "x", "lora_path": "{{outside}}"}"""), HttpStatusCode.Forbidden));
            Assert.Contains("outside the allowed folder", ErrorMessage(Post("/v1/load_lora_adapter", """{"lora_name": "x", "lora_path": "../.."}"""), HttpStatusCode.Forbidden));
            // A link inside the allowed folder to a folder outside it is refused too.
            var link = Path.Combine(fixture.Adapters, "link-" + Guid.NewGuid().ToString("N"));
            Directory.CreateSymbolicLink(link, outside);
            Assert.Contains("outside the allowed folder", ErrorMessage(Post("/update_weights_from_disk", $$"""{"model_path": "{{link}}"}"""), HttpStatusCode.Forbidden));
            Assert.Contains("folder not found", ErrorMessage(Post("/v1/load_lora_adapter", """{"lora_name": "x", "lora_path": "nope"}"""), HttpStatusCode.BadRequest));
        }
        finally { Directory.Delete(outside, recursive: true); }
    }

    [Fact]
    public void Requests_above_the_limits_and_malformed_ones_get_one_line_errors()
    {
        Assert.Contains("n 9 is above this server's limit 8", ErrorMessage(Post("/v1/completions", """{"prompt": [1, 2], "n": 9}"""), HttpStatusCode.BadRequest));
        var big = $$"""{"prompt": [{{string.Join(',', Enumerable.Repeat(1, 3000))}}]}""";
        Assert.Contains("larger than this server's limit of 4096 bytes", ErrorMessage(Post("/v1/completions", big), HttpStatusCode.RequestEntityTooLarge));
        Assert.Contains("not JSON", ErrorMessage(Post("/v1/completions", "{\"prompt\": [1,"), HttpStatusCode.BadRequest));
        Assert.Contains("stream", ErrorMessage(Post("/v1/completions", """{"prompt": [1], "stream": true}"""), HttpStatusCode.BadRequest));
        Assert.Contains("above this server's limit", ErrorMessage(Post("/generate", """{"input_ids": [1, 2, 3, 4], "sampling_params": {"max_new_tokens": 100000}}"""), HttpStatusCode.BadRequest));
        int positions = Qwen2Config.Load(ServeProcess.TinyModel).MaxPositionEmbeddings;
        Assert.Contains($"needs {positions + 2} positions", ErrorMessage(Post("/generate", $$$"""{"input_ids": [1, 2, 3, 4], "sampling_params": {"max_new_tokens": {{{positions - 2}}}}}"""), HttpStatusCode.BadRequest));
        Assert.Contains("The model 'gpt-4' does not exist", ErrorMessage(Post("/v1/completions", """{"model": "gpt-4", "prompt": [1]}"""), HttpStatusCode.NotFound));
        Assert.Contains("no endpoint POST /v1/chat/completions", ErrorMessage(Post("/v1/chat/completions", "{}"), HttpStatusCode.NotFound));
    }

    [Fact]
    public void A_loaded_adapter_is_listed_changes_what_requests_naming_it_get_and_unloads()
    {
        // An adapter whose B is not zero, saved in PEFT layout by the trainer's own LoRA code.
        var dir = Path.Combine(fixture.Adapters, "adapter-" + Guid.NewGuid().ToString("N"));
        using (var model = Qwen2ForCausalLM.FromPretrained(ServeProcess.TinyModel))
        {
            var lora = LoraAdapters.Apply(model, new LoraSettings(4, 8, 0, ["q_proj", "v_proj", "down_proj"]), seed: 3);
            using (TorchSharp.torch.no_grad())
                foreach (var (_, p) in lora.NamedParameters()) p.add_(TorchSharp.torch.ones_like(p).mul(Grpo.Torch.HeldScalars.Of(0.3)), Grpo.Torch.HeldScalars.One);
            lora.Save(dir, ServeProcess.TinyModel);
        }
        string name = "a" + Guid.NewGuid().ToString("N")[..6];
        var greedy = """{"prompt": [100, 200, 300], "max_tokens": 12, "temperature": 0, "logprobs": 0, "return_token_ids": true, "model": "MODEL"}""";
        // The greedy ids and their log-probs: what the model (or adapter) computes.
        var ids = (string model) =>
        {
            var choice = JsonNode.Parse(Post("/v1/completions", greedy.Replace("MODEL", model)).Body)!["choices"]![0]!;
            return choice["token_ids"]!.ToJsonString() + choice["logprobs"]!["token_logprobs"]!.ToJsonString();
        };

        var baseIds = ids("tiny");
        var loaded = Post("/v1/load_lora_adapter", $$"""{"lora_name": "{{name}}", "lora_path": "{{dir}}"}""");
        Assert.Equal(HttpStatusCode.OK, loaded.Status);
        Assert.Contains("added successfully", loaded.Body);
        var models = JsonNode.Parse(fixture.Http.GetStringAsync(fixture.Server.Url + "/v1/models").Result)!["data"]!.AsArray();
        Assert.Contains(models, m => (string)m!["id"]! == name && (string)m["parent"]! == "tiny");
        Assert.NotEqual(baseIds, ids(name));
        Assert.Equal(baseIds, ids("tiny"));   // the base model is unchanged by the adapter beside it
        Assert.Contains("already been loaded", ErrorMessage(Post("/v1/load_lora_adapter", $$"""{"lora_name": "{{name}}", "lora_path": "{{dir}}"}"""), HttpStatusCode.BadRequest));

        Assert.Equal(HttpStatusCode.OK, Post("/v1/unload_lora_adapter", $$"""{"lora_name": "{{name}}"}""").Status);
        Assert.Contains("does not exist", ErrorMessage(Post("/v1/completions", greedy.Replace("MODEL", name)), HttpStatusCode.NotFound));
        Assert.Contains("cannot be found", ErrorMessage(Post("/v1/unload_lora_adapter", $$"""{"lora_name": "{{name}}"}"""), HttpStatusCode.NotFound));
    }

    [Fact]
    public void Text_prompts_and_stop_strings_work_as_in_vllm()
    {
        var answer = JsonNode.Parse(Post("/v1/completions", """{"prompt": "Using [3, 5, 7], make 22.", "max_tokens": 40, "temperature": 0, "stop": ["</think>"], "return_token_ids": true}""").Body)!;
        var choice = answer["choices"]![0]!;
        Assert.DoesNotContain("</think>", (string)choice["text"]!);
        if ((string)choice["finish_reason"]! == "stop" && choice["stop_reason"] is JsonValue v && v.ToJsonString().StartsWith('"'))
            Assert.Equal("</think>", (string)choice["stop_reason"]!);
        Assert.True(choice["token_ids"]!.AsArray().Count <= 40);
        Assert.Equal("tiny", (string)answer["model"]!);
    }
}
