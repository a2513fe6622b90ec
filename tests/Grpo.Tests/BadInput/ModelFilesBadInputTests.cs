// Model folders handed in by a person: shard paths stay inside the folder and name regular files, safetensors headers
// with duplicate keys or overlapping tensors are refused, and every config.json field is range-checked by name.
using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Grpo.Model;
using Xunit;

namespace Grpo.Tests.BadInput;

public sealed class ModelFilesBadInputTests : IDisposable
{
    readonly RandomModelFolder model = new();

    public void Dispose() => model.Dispose();

    /// <summary>Moves model.safetensors to <paramref name="shard"/> (relative to the folder) and writes an index naming it.</summary>
    void IndexPointingTo(string shardAsWritten)
    {
        var map = new JsonObject();
        SafeTensors.ReadHeader(model.File("model.safetensors"), out _).ToList().ForEach(e => map[e.Name] = shardAsWritten);
        File.WriteAllText(model.File("model.safetensors.index.json"), new JsonObject { ["weight_map"] = map }.ToJsonString());
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("/etc/passwd")]
    [InlineData("sub/../../model.safetensors")]
    public void Index_shard_outside_the_model_folder_is_refused(string shard)
    {
        IndexPointingTo(shard);
        var e = Assert.Throws<BadInputException>(() => Qwen2ForCausalLM.FromPretrained(model.Dir));
        Assert.Contains("model.safetensors.index.json", e.Message);
        Assert.Contains(shard, e.Message);
    }

    [Fact]
    public void Index_shard_of_another_model_folder_is_refused()
    {
        using var other = new RandomModelFolder();
        var relative = Path.GetRelativePath(model.Dir, other.File("model.safetensors"));
        IndexPointingTo(relative);
        var e = Assert.Throws<BadInputException>(() => Qwen2ForCausalLM.FromPretrained(model.Dir));
        Assert.Contains("outside", e.Message);
    }

    [Fact]
    public void Fifo_shard_is_refused_instead_of_blocking_forever()
    {
        using (var mkfifo = Process.Start("mkfifo", model.File("shard.fifo"))) mkfifo.WaitForExit();
        IndexPointingTo("shard.fifo");
        // A reader that opened the FIFO would wait for a writer forever; the time limit only keeps the suite alive.
        var load = Task.Run(() => Qwen2ForCausalLM.FromPretrained(model.Dir));
        Assert.True(((IAsyncResult)load).AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(60)), "loading a FIFO shard never returned");
        var e = Assert.IsType<BadInputException>(load.Exception?.InnerException);
        Assert.Contains("not a regular file", e.Message);
    }

    [Fact]
    public void Symlinked_shard_inside_the_folder_loads_as_in_a_hugging_face_cache()
    {
        // huggingface_hub snapshots link each file to a blob stored elsewhere.
        var blob = Path.Combine(Path.GetTempPath(), $"grpo-blob-{Guid.NewGuid():N}");
        File.Move(model.File("model.safetensors"), blob);
        try
        {
            File.CreateSymbolicLink(model.File("model-00001-of-00001.safetensors"), blob);
            IndexPointingToBlob();
            using var loaded = Qwen2ForCausalLM.FromPretrained(model.Dir);
            Assert.Equal(RandomModelFolder.Config.VocabSize, loaded.Config.VocabSize);
        }
        finally { File.Delete(blob); }

        void IndexPointingToBlob()
        {
            var map = new JsonObject();
            foreach (var e in SafeTensors.ReadHeader(blob, out _)) map[e.Name] = "model-00001-of-00001.safetensors";
            File.WriteAllText(model.File("model.safetensors.index.json"), new JsonObject { ["weight_map"] = map }.ToJsonString());
        }
    }

    static void WriteSafetensors(string path, string header, int dataBytes)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + dataBytes];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, h.Length);
        h.CopyTo(bytes, 8);
        File.WriteAllBytes(path, bytes);
    }

    [Fact]
    public void Safetensors_header_with_a_duplicate_key_is_refused()
    {
        var path = model.File("dup.safetensors");
        WriteSafetensors(path, """{"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "w": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}}""", 16);
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.ReadHeader(path, out _));
        Assert.Contains(path, e.Message);
        Assert.Contains("'w'", e.Message);
    }

    [Fact]
    public void Safetensors_tensors_sharing_bytes_are_refused()
    {
        var path = model.File("overlap.safetensors");
        WriteSafetensors(path, """{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}""", 12);
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.ReadHeader(path, out _));
        Assert.Contains("overlapping", e.Message);
        Assert.Contains("\"b\"", e.Message);
    }

    [Fact]
    public void Safetensors_with_unused_bytes_between_tensors_is_refused()
    {
        var path = model.File("gap.safetensors");
        WriteSafetensors(path, """{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}}""", 12);
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.ReadHeader(path, out _));
        Assert.Contains("gap", e.Message);
    }

    [Theory]
    [InlineData("num_attention_heads", "0")]
    [InlineData("num_key_value_heads", "0")]
    [InlineData("rope_theta", "-10000")]
    [InlineData("rms_norm_eps", "0")]
    [InlineData("vocab_size", "-5")]
    [InlineData("max_position_embeddings", "0")]
    [InlineData("hidden_size", "30")]        // 30 / 4 heads is not whole
    [InlineData("attention_dropout", "1.5")]
    [InlineData("num_hidden_layers", "\"two\"")]
    public void Config_field_out_of_range_is_refused_naming_config_json_and_the_field(string field, string value)
    {
        var json = JsonNode.Parse(File.ReadAllText(model.File("config.json")))!.AsObject();
        json[field] = JsonNode.Parse(value);
        File.WriteAllText(model.File("config.json"), json.ToJsonString());
        var e = Assert.Throws<InvalidDataException>(() => Qwen2Config.Load(model.Dir));
        Assert.Contains(model.File("config.json"), e.Message);
        Assert.Contains(field, e.Message);
    }

    [Fact]
    public void Config_with_a_duplicate_key_is_refused()
    {
        var text = File.ReadAllText(model.File("config.json"));
        File.WriteAllText(model.File("config.json"), text.Insert(text.IndexOf('{') + 1, "\"vocab_size\": 7, "));
        var e = Assert.Throws<BadInputException>(() => Qwen2Config.Load(model.Dir));
        Assert.Contains("config.json", e.Message);
        Assert.Contains("vocab_size", e.Message);
    }

    [Fact]
    public void Generation_config_pad_id_of_the_wrong_type_names_generation_config_json()
    {
        File.WriteAllText(model.File("generation_config.json"), """{"eos_token_id": 301, "pad_token_id": "x"}""");
        var e = Assert.Throws<InvalidDataException>(() => Qwen2Config.Load(model.Dir));
        Assert.Contains("generation_config.json", e.Message);
        Assert.Contains("pad_token_id", e.Message);
    }

    [Fact]
    public void Missing_model_folder_is_named()
    {
        var e = Assert.Throws<BadInputException>(() => Qwen2ForCausalLM.FromPretrained(model.File("no-such-model")));
        Assert.Contains("no-such-model", e.Message);
        Assert.Contains("folder not found", e.Message);
    }
}
