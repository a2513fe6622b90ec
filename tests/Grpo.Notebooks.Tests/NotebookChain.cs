// Runs notebooks/01..05 in order, each in its own process, against one scratch run folder and a small model, with
// parameter overrides that keep each notebook to well under two minutes. Results are cached for the tests.
using System.Text.Json.Nodes;

namespace Grpo.Notebooks.Tests;

public sealed class NotebookChain
{
    public static readonly string[] Names =
        ["01-data-prep", "02-base-model-eval", "03-grpo-training", "04-checkpoint-eval", "05-aha-moments"];

    readonly Dictionary<string, NotebookRun> runs = [];
    readonly Lazy<string?> model = new(FindOrMakeModel);

    public string Root { get; } = Path.Combine(NotebookProcess.WorkDir, "chain");
    public string DataDir => Path.Combine(Root, "data");
    public string RunDir => Path.Combine(Root, "run");
    /// <summary>The run notebook 04 overlays on <see cref="RunDir"/> (<see cref="PrepareComparedRun"/>).</summary>
    public string ComparedRunDir => Path.Combine(Root, "run-lr3e-4");

    /// <summary>The model the notebooks run with, or null (then <see cref="MissingModelReason"/> says why).</summary>
    public string? ModelDir => model.Value;

    public static string TinyModelDir => Path.Combine(NotebookProcess.RepoRoot, "data", "models", "countdown-tiny");
    /// <summary>The Hugging Face reference weights kept in the repository (tests/reference/qwen2-tiny, see its README).</summary>
    public static string ReferenceModelDir => Path.Combine(NotebookProcess.RepoRoot, "tests", "reference", "qwen2-tiny");
    public static string MissingModelReason =>
        $"no model to run the notebooks with: neither {TinyModelDir} (the embedded tiny model) nor {Path.GetFullPath(ReferenceModelDir)} exists";

    /// <summary>Runs the notebook (and, first, every earlier one not yet run) and returns its result.</summary>
    public NotebookRun Get(string name)
    {
        lock (runs)
        {
            foreach (var n in Names)
            {
                if (!runs.ContainsKey(n))
                {
                    if (n == Names[0] && Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
                    if (n == "04-checkpoint-eval") PrepareComparedRun();
                    runs[n] = NotebookProcess.Run(NotebookPath(n), Overrides(n));
                }
                if (n == name) return runs[n];
            }
            throw new ArgumentException($"unknown notebook {name}");
        }
    }

    /// <summary>Runs the notebook again (after the chain ran it) with extra overrides; its executed copy is kept apart.</summary>
    public NotebookRun Rerun(string name, IReadOnlyDictionary<string, string> extra, string executedName)
    {
        Get(name);
        var overrides = Overrides(name);
        foreach (var (k, v) in extra) overrides[k] = v;
        lock (runs) return NotebookProcess.Run(NotebookPath(name), overrides, executedName: executedName);
    }

    public static string NotebookPath(string name) => Path.Combine(NotebookProcess.RepoRoot, "notebooks", name + ".ipynb");

    Dictionary<string, string> Overrides(string name)
    {
        string S(string path) => "@\"" + path.Replace("\"", "\"\"") + "\"";
        var testFile = S(Path.Combine(DataDir, "test.parquet"));
        return name switch
        {
            "01-data-prep" => new()
            {
                ["realDataDir"] = S(Path.Combine(Root, "no-real-data")), ["count"] = "300", ["testSize"] = "50",
                ["outDir"] = S(DataDir), ["chartsDir"] = S(Path.Combine(Root, "charts")),
            },
            "02-base-model-eval" => new()
            {
                ["modelDir"] = S(ModelDir!), ["testFile"] = testFile, ["runDir"] = S(RunDir), ["numProblems"] = "8",
                ["samples"] = "2", ["maxNewTokens"] = "24", ["batchSize"] = "16",
            },
            "03-grpo-training" => new()
            {
                ["modelDir"] = S(ModelDir!), ["runDir"] = S(RunDir), ["maxSteps"] = "4", ["saveSteps"] = "2",
                ["perDeviceTrainBatchSize"] = "8", ["gradientAccumulationSteps"] = "1", ["numGenerations"] = "4",
                ["maxCompletionLength"] = "24",
            },
            "04-checkpoint-eval" => new()
            {
                ["modelDir"] = S(ModelDir!), ["runDir"] = S(RunDir), ["testFile"] = testFile, ["numProblems"] = "8",
                ["samples"] = "2", ["batchSize"] = "16", ["compareWith"] = $"new[] {{ {S(ComparedRunDir)} }}",
            },
            "05-aha-moments" => new() { ["runDir"] = S(RunDir) },
            _ => throw new ArgumentException(name),
        };
    }

    /// <summary>A second run for notebook 04 to overlay: the chain's run as 03 left it (checkpoints, eval/base.json),
    /// copied with another learning_rate in its config.json. Its weights are the same, so its lines coincide with the
    /// run's; what the test checks is that both are evaluated, drawn and told apart by the setting that differs.</summary>
    void PrepareComparedRun()
    {
        if (!Directory.Exists(RunDir)) return;   // 03 failed; 04 fails on its own account
        if (Directory.Exists(ComparedRunDir)) Directory.Delete(ComparedRunDir, recursive: true);
        foreach (var file in Directory.EnumerateFiles(RunDir, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(ComparedRunDir, Path.GetRelativePath(RunDir, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        var configPath = Path.Combine(ComparedRunDir, "config.json");
        var config = JsonNode.Parse(File.ReadAllText(configPath))!;
        config["learning_rate"] = 3e-4;
        config["output_dir"] = ComparedRunDir;
        File.WriteAllText(configPath, config.ToJsonString());
    }

    /// <summary>The embedded tiny model when it exists; otherwise a scratch folder with the reference
    /// qwen2-tiny weights (vocab 320, random-like) and a byte-level tokenizer written here, so every code path of the
    /// notebooks runs even before the tiny model is built.</summary>
    static string? FindOrMakeModel()
    {
        if (File.Exists(Path.Combine(TinyModelDir, "config.json"))) return TinyModelDir;
        if (!File.Exists(Path.Combine(ReferenceModelDir, "model.safetensors"))) return null;
        var dir = Directory.CreateDirectory(Path.Combine(NotebookProcess.WorkDir, "byte-model")).FullName;
        foreach (var f in new[] { "config.json", "model.safetensors", "generation_config.json" })
            File.Copy(Path.Combine(ReferenceModelDir, f), Path.Combine(dir, f), overwrite: true);
        // Byte-level prompts are ~500 tokens; RoPE has no learned positions, so a longer table changes nothing else.
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!;
        config["max_position_embeddings"] = 2048;
        File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJsonString());
        WriteByteTokenizer(dir);
        return dir;
    }

    /// <summary>Byte-level BPE without merges: the 256 GPT-2 byte symbols as ids 0..255, filler tokens up to 319,
    /// and the ChatML specials at the ids the reference config uses (eos 301).</summary>
    static void WriteByteTokenizer(string dir)
    {
        var printable = Enumerable.Range('!', '~' - '!' + 1).Concat(Enumerable.Range('¡', '¬' - '¡' + 1))
            .Concat(Enumerable.Range('®', 'ÿ' - '®' + 1)).ToHashSet();
        var vocab = new JsonObject();
        int shifted = 0;
        for (int b = 0; b < 256; b++) vocab[((char)(printable.Contains(b) ? b : 256 + shifted++)).ToString()] = b;
        var specials = new Dictionary<int, string> { [301] = "<|endoftext|>", [303] = "<|im_start|>", [304] = "<|im_end|>" };
        for (int id = 256; id < 320; id++) if (!specials.ContainsKey(id)) vocab[$"filler{id}"] = id;
        var added = new JsonArray(specials.Select(kv => (JsonNode)new JsonObject
        {
            ["id"] = kv.Key, ["content"] = kv.Value, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
            ["normalized"] = false, ["special"] = true,
        }).ToArray());
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), new JsonObject
        {
            ["version"] = "1.0", ["added_tokens"] = added, ["normalizer"] = new JsonObject { ["type"] = "NFC" },
            ["model"] = new JsonObject { ["type"] = "BPE", ["vocab"] = vocab, ["merges"] = new JsonArray() },
        }.ToJsonString());
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"),
            new JsonObject { ["eos_token"] = "<|endoftext|>", ["pad_token"] = "<|endoftext|>" }.ToJsonString());
    }
}
