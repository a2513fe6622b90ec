// The settings notebooks 02-05 share, set once in notebooks/settings.json: the base model, the held-out test set, the
// run folder (02 writes the base model's eval there, 03 trains into it, 04 and 05 read it) and the sizes that must
// agree between them. The environment variable GRPO_NOTEBOOK_SETTINGS names another file, e.g. to run the notebooks
// small (CI does) without editing them.
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Grpo.Files;

namespace Grpo.Notebook;

/// <param name="ModelDir">model_dir: the base model folder (Hugging Face Qwen2 layout).</param>
/// <param name="TestFile">test_file: held-out problems (Parquet) that 02 and 04 evaluate on.</param>
/// <param name="RunDir">run_dir: the run folder of 02-05.</param>
/// <param name="NumProblems">num_problems: the first N test problems (02 and 04).</param>
/// <param name="Samples">samples: sampled completions per problem besides the greedy one; 0 = greedy only.</param>
/// <param name="MaxSteps">max_steps: GRPO optimizer steps (03).</param>
/// <param name="SaveSteps">save_steps: a checkpoint every N steps (03; 04 evaluates each).</param>
/// <param name="Device">device: cpu or cuda[:N].</param>
/// <param name="Dtype">dtype: float32 or bfloat16.</param>
/// <param name="Seed">seed: data order, sampling and the generated test set.</param>
public sealed record NotebookSettings(string ModelDir, string TestFile, string RunDir, int NumProblems, int Samples,
    int MaxSteps, int SaveSteps, string Device, string Dtype, int Seed)
{
    public const string FileName = "settings.json";
    public const string EnvironmentVariable = "GRPO_NOTEBOOK_SETTINGS";

    /// <summary>The file GRPO_NOTEBOOK_SETTINGS names, else settings.json in the current folder (a notebook kernel runs
    /// in the notebook's folder). Every field is required, none unknown; relative paths in the file are relative to the
    /// file's folder.</summary>
    public static NotebookSettings Load() =>
        Load(Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } path ? path : FileName);

    public static NotebookSettings Load(string path)
    {
        if (!File.Exists(path))
            throw new BadInputException($"notebook settings file not found: {Path.GetFullPath(path)}" +
                (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } ? $" (named by {EnvironmentVariable})" : ""));
        var json = StrictJson.ReadObject(path);
        var fields = typeof(NotebookSettings).GetConstructors()[0].GetParameters()
            .ToDictionary(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name!), p => p.ParameterType);
        foreach (var (key, _) in json)
            if (!fields.ContainsKey(key)) throw new BadInputException($"{path}: unknown field '{key}' (known: {string.Join(", ", fields.Keys)})");
        var missing = fields.Keys.Where(k => !json.ContainsKey(k)).ToList();
        if (missing.Count > 0) throw new BadInputException($"{path}: missing field{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing)}");

        string folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        string Text(string key) => json[key] is JsonValue v && v.TryGetValue<string>(out var s) && s.Trim().Length > 0 ? s
            : throw new BadInputException($"{path}: field '{key}' must be a non-empty string");
        string PathOf(string key) => Relative(Path.GetFullPath(Text(key), folder));
        int Whole(string key, int min) => json[key] is JsonValue v && v.TryGetValue<int>(out var n) && n >= min ? n
            : throw new BadInputException($"{path}: field '{key}' must be a whole number >= {min.ToString(CultureInfo.InvariantCulture)} (got {json[key]?.ToJsonString() ?? "null"})");

        return new NotebookSettings(PathOf("model_dir"), PathOf("test_file"), PathOf("run_dir"), Whole("num_problems", 1),
            Whole("samples", 0), Whole("max_steps", 1), Whole("save_steps", 1), Text("device"), Text("dtype"), Whole("seed", int.MinValue));
    }

    /// <summary>A path as short as it reads from the notebook's folder (the current one): ../runs/x, not /home/…/runs/x.</summary>
    static string Relative(string fullPath)
    {
        var relative = Path.GetRelativePath(Directory.GetCurrentDirectory(), fullPath);
        return relative.Split(Path.DirectorySeparatorChar).TakeWhile(p => p == "..").Count() > 2 ? fullPath : relative;
    }
}
