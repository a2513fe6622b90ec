// Loading and saving Hugging Face folders: round trips, tied layout, and clear errors naming the file and tensor/field.
using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using Grpo.Model;
using TorchSharp;
using Xunit;
using static Grpo.Tests.Model.ReferenceCases;
using static TorchSharp.torch;

namespace Grpo.Tests.Model;

public sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("grpo-model-").FullName;
    public string File(string name) => System.IO.Path.Combine(Path, name);
    public void Dispose() { try { Directory.Delete(Path, true); } catch (IOException) { } }
}

public class ModelFolderTests
{
    static Tensor Ids() => tensor(Ints(Cases("qwen2-tiny")["forward_unpadded"]!["input_ids"]!).SelectMany(r => r).ToArray(), [2, 7]);

    static Tensor Logits(Qwen2ForCausalLM m)
    {
        using var ids = Ids();
        using var mask = ones_like(ids);
        using var pos = Positions.FromAttentionMask(mask);
        return m.forward(ids, mask, pos).to(ScalarType.Float32);
    }

    static void AssertSame(Tensor a, Tensor b)
    {
        var diff = (a - b).abs().max().item<float>();
        Assert.True(diff == 0, $"logits differ by up to {diff}");
    }

    static JsonObject Header(string file)
    {
        var bytes = System.IO.File.ReadAllBytes(file);
        var n = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        return (JsonObject)JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, (int)n))!;
    }

    static TempDir CopyOf(string variant)
    {
        var d = new TempDir();
        foreach (var f in new[] { "config.json", "generation_config.json", "model.safetensors" })
            System.IO.File.Copy(System.IO.Path.Combine(ModelDir(variant), f), d.File(f));
        return d;
    }

    [Theory]
    [InlineData("qwen2-tiny")]
    [InlineData("qwen2-tiny-tied")]
    public void Saved_folder_reloads_to_identical_logits_and_keeps_the_hf_layout(string variant)
    {
        using var dir = new TempDir();
        using var model = Qwen2ForCausalLM.FromPretrained(ModelDir(variant));
        model.SavePretrained(dir.Path, tokenizerDir: ReferenceTokenizers.AddedTokensDir);
        using var again = Qwen2ForCausalLM.FromPretrained(dir.Path);
        using var a = Logits(model);
        using var b = Logits(again);
        AssertSame(a, b);

        var header = Header(dir.File("model.safetensors"));
        var original = Header(System.IO.Path.Combine(ModelDir(variant), "model.safetensors"));
        Assert.Equal("pt", header["__metadata__"]!["format"]!.GetValue<string>());
        Assert.Equal(original.Select(kv => kv.Key).Order(), header.Select(kv => kv.Key).Order());
        Assert.Equal(variant.EndsWith("tied"), header["lm_head.weight"] is null);
        Assert.True(System.IO.File.Exists(dir.File("tokenizer.json")));
        Assert.Equal(Qwen2Config.Load(ModelDir(variant)) with { }, Qwen2Config.Load(dir.Path) with { }, new ConfigComparer());
    }

    sealed class ConfigComparer : IEqualityComparer<Qwen2Config>
    {
        public bool Equals(Qwen2Config? x, Qwen2Config? y) =>
            x!.Equals(y! with { EosTokenId = x.EosTokenId }) && x.EosTokenId.SequenceEqual(y.EosTokenId);
        public int GetHashCode(Qwen2Config obj) => 0;
    }

    [Fact]
    public void Bfloat16_model_saves_bf16_and_reloads_bit_identical()
    {
        using var dir = new TempDir();
        using var model = Qwen2ForCausalLM.FromPretrained(ModelDir("qwen2-tiny-tied"), ScalarType.BFloat16);
        model.SavePretrained(dir.Path);
        Assert.Equal("BF16", Header(dir.File("model.safetensors"))["model.norm.weight"]!["dtype"]!.GetValue<string>());
        using var again = Qwen2ForCausalLM.FromPretrained(dir.Path, ScalarType.BFloat16);
        using var a = Logits(model);
        using var b = Logits(again);
        AssertSame(a, b);
    }

    [Fact]
    public void F16_weight_file_loads_as_the_float16_rounded_weights()
    {
        using var dir = CopyOf("qwen2-tiny");
        var tensors = new List<(string, Tensor)>();
        SafeTensors.ReadTensors(dir.File("model.safetensors"), (e, t) => tensors.Add((e.Name, t.to(ScalarType.Float16).DetachFromDisposeScope())));
        SafeTensors.Write(dir.File("model.safetensors"), tensors);
        Assert.Equal("F16", Header(dir.File("model.safetensors"))["lm_head.weight"]!["dtype"]!.GetValue<string>());

        using var fromF16 = Qwen2ForCausalLM.FromPretrained(dir.Path);
        using var rounded = Qwen2ForCausalLM.FromPretrained(ModelDir("qwen2-tiny"));
        using (no_grad())
            foreach (var p in rounded.parameters()) p.copy_(p.to(ScalarType.Float16).to(ScalarType.Float32));
        using var a = Logits(fromF16);
        using var b = Logits(rounded);
        AssertSame(a, b);
    }

    [Fact]
    public void Sharded_checkpoint_with_index_loads_like_the_single_file()
    {
        using var dir = CopyOf("qwen2-tiny");
        var tensors = new List<(string, Tensor)>();
        SafeTensors.ReadTensors(dir.File("model.safetensors"), (e, t) => tensors.Add((e.Name, t.clone().DetachFromDisposeScope())));
        System.IO.File.Delete(dir.File("model.safetensors"));
        var map = new JsonObject();
        for (int s = 0; s < 2; s++)
        {
            var name = $"model-0000{s + 1}-of-00002.safetensors";
            var part = tensors.Where((_, i) => i % 2 == s).ToList();
            SafeTensors.Write(dir.File(name), part);
            foreach (var (n, _) in part) map[n] = name;
        }
        System.IO.File.WriteAllText(dir.File("model.safetensors.index.json"), new JsonObject { ["metadata"] = new JsonObject(), ["weight_map"] = map }.ToJsonString());
        using var sharded = Qwen2ForCausalLM.FromPretrained(dir.Path);
        using var single = Qwen2ForCausalLM.FromPretrained(ModelDir("qwen2-tiny"));
        using var a = Logits(sharded);
        using var b = Logits(single);
        AssertSame(a, b);
    }

    [Fact]
    public void Missing_weights_file_is_named()
    {
        using var dir = CopyOf("qwen2-tiny");
        System.IO.File.Delete(dir.File("model.safetensors"));
        var e = Assert.Throws<FileNotFoundException>(() => Qwen2ForCausalLM.FromPretrained(dir.Path));
        Assert.Contains("model.safetensors", e.Message);
    }

    [Fact]
    public void Missing_config_is_named()
    {
        using var dir = CopyOf("qwen2-tiny");
        System.IO.File.Delete(dir.File("config.json"));
        var e = Assert.Throws<FileNotFoundException>(() => Qwen2ForCausalLM.FromPretrained(dir.Path));
        Assert.Contains(dir.File("config.json"), e.Message);
    }

    [Fact]
    public void Config_without_a_required_field_names_file_and_field()
    {
        using var dir = CopyOf("qwen2-tiny");
        var json = (JsonObject)JsonNode.Parse(System.IO.File.ReadAllText(dir.File("config.json")))!;
        json.Remove("hidden_size");
        System.IO.File.WriteAllText(dir.File("config.json"), json.ToJsonString());
        var e = Assert.Throws<InvalidDataException>(() => Qwen2Config.Load(dir.Path));
        Assert.Contains(dir.File("config.json"), e.Message);
        Assert.Contains("hidden_size", e.Message);
    }

    [Fact]
    public void Truncated_header_names_the_file()
    {
        using var dir = CopyOf("qwen2-tiny");
        var bytes = System.IO.File.ReadAllBytes(dir.File("model.safetensors"));
        System.IO.File.WriteAllBytes(dir.File("model.safetensors"), bytes[..100]);
        var e = Assert.Throws<InvalidDataException>(() => Qwen2ForCausalLM.FromPretrained(dir.Path));
        Assert.Contains(dir.File("model.safetensors"), e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Truncated_data_names_the_file_and_tensor()
    {
        using var dir = CopyOf("qwen2-tiny");
        var bytes = System.IO.File.ReadAllBytes(dir.File("model.safetensors"));
        System.IO.File.WriteAllBytes(dir.File("model.safetensors"), bytes[..(bytes.Length - 1000)]);
        var e = Assert.Throws<InvalidDataException>(() => Qwen2ForCausalLM.FromPretrained(dir.Path));
        Assert.Contains(dir.File("model.safetensors"), e.Message);
        Assert.Contains("\"model.", e.Message);   // the last tensor in name order lies past the end
    }

    static void WriteRaw(string path, string header, int dataBytes)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + dataBytes];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, h.Length);
        h.CopyTo(bytes, 8);
        System.IO.File.WriteAllBytes(path, bytes);
    }

    [Fact]
    public void Malformed_json_header_names_the_file()
    {
        using var dir = CopyOf("qwen2-tiny");
        WriteRaw(dir.File("model.safetensors"), "{\"model.norm.weight\": {\"dtype\": \"F32\", ", 16);
        var e = Assert.Throws<InvalidDataException>(() => Qwen2ForCausalLM.FromPretrained(dir.Path));
        Assert.Contains(dir.File("model.safetensors"), e.Message);
        Assert.Contains("malformed", e.Message);
    }

    [Fact]
    public void Unknown_dtype_names_the_file_tensor_and_dtype()
    {
        using var dir = CopyOf("qwen2-tiny");
        WriteRaw(dir.File("model.safetensors"), "{\"model.norm.weight\": {\"dtype\": \"F8_E4M3\", \"shape\": [64], \"data_offsets\": [0, 64]}}", 64);
        var e = Assert.Throws<InvalidDataException>(() => Qwen2ForCausalLM.FromPretrained(dir.Path));
        Assert.Contains(dir.File("model.safetensors"), e.Message);
        Assert.Contains("model.norm.weight", e.Message);
        Assert.Contains("F8_E4M3", e.Message);
    }

    static void RewriteWithOneTensor(TempDir dir, string name, Func<Tensor, Tensor?> change)
    {
        var tensors = new List<(string, Tensor)>();
        SafeTensors.ReadTensors(dir.File("model.safetensors"), (e, t) =>
        {
            var c = e.Name == name ? change(t) : t;
            if (c is not null) tensors.Add((e.Name, c.clone().DetachFromDisposeScope()));
        });
        SafeTensors.Write(dir.File("model.safetensors"), tensors);
    }

    [Fact]
    public void Wrong_tensor_shape_names_file_tensor_and_shapes()
    {
        using var dir = CopyOf("qwen2-tiny");
        RewriteWithOneTensor(dir, "model.layers.1.mlp.up_proj.weight", t => zeros(161, 64));
        var e = Assert.Throws<InvalidDataException>(() => Qwen2ForCausalLM.FromPretrained(dir.Path));
        Assert.Contains(dir.File("model.safetensors"), e.Message);
        Assert.Contains("model.layers.1.mlp.up_proj.weight", e.Message);
        Assert.Contains("[161, 64]", e.Message);
        Assert.Contains("[160, 64]", e.Message);
    }

    [Fact]
    public void Missing_tensor_is_named()
    {
        using var dir = CopyOf("qwen2-tiny");
        RewriteWithOneTensor(dir, "model.layers.0.self_attn.k_proj.bias", _ => null);
        var e = Assert.Throws<InvalidDataException>(() => Qwen2ForCausalLM.FromPretrained(dir.Path));
        Assert.Contains("model.layers.0.self_attn.k_proj.bias", e.Message);
    }

    [Fact]
    public void Untied_checkpoint_without_lm_head_is_an_error()
    {
        using var dir = CopyOf("qwen2-tiny");
        RewriteWithOneTensor(dir, "lm_head.weight", _ => null);
        var e = Assert.Throws<InvalidDataException>(() => Qwen2ForCausalLM.FromPretrained(dir.Path));
        Assert.Contains("lm_head.weight", e.Message);
    }

    [Fact]
    public void Config_reads_sliding_window_number_and_eos_list()
    {
        using var dir = CopyOf("qwen2-tiny");
        var json = (JsonObject)JsonNode.Parse(System.IO.File.ReadAllText(dir.File("config.json")))!;
        json["sliding_window"] = 32768;
        System.IO.File.WriteAllText(dir.File("config.json"), json.ToJsonString());
        System.IO.File.WriteAllText(dir.File("generation_config.json"), "{\"eos_token_id\": [151645, 151643], \"pad_token_id\": 151643}");
        var c = Qwen2Config.Load(dir.Path);
        Assert.Equal(32768, c.SlidingWindow);
        Assert.Equal([151645, 151643, 301], c.EosTokenId);
        Assert.Null(Qwen2Config.Load(ModelDir("qwen2-tiny")).SlidingWindow);
        Assert.True(Qwen2Config.Load(ModelDir("qwen2-tiny-tied")).TieWordEmbeddings);
    }
}
