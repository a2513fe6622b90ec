// `generate`: prompts (text, ids, or a JSONL file generated as left-padded batches) -> one JSON line per prompt
// with prompt_ids, generated ids (eos included when produced) and text.
using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Nodes;
using Grpo.Files;
using Grpo.Model;
using Grpo.Torch;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Grpo.Cli.Commands;

public sealed class GenerateCommand : Command<GenerateCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--model <DIR>"), Description("Hugging Face Qwen2 model folder.")]
        public string Model { get; init; } = "";
        [CommandOption("--prompt <STR>"), Description("Prompt text (encoded as is; use the chat template yourself if wanted).")]
        public string? Prompt { get; init; }
        [CommandOption("--prompt-ids <IDS>"), Description("Prompt as comma-separated ids.")]
        public string? PromptIds { get; init; }
        [CommandOption("--input <FILE>"), Description("JSONL, each line {\"prompt\": ...} or {\"prompt_ids\": [[...]]}; generated as left-padded batches.")]
        public string? Input { get; init; }
        [CommandOption("--batch-size <N>"), Description("Largest batch generated together with --input (default 64).")]
        public int BatchSize { get; init; } = 64;
        [CommandOption("--max-new-tokens <N>"), Description("New tokens per prompt at most (default 128).")]
        public int MaxNewTokens { get; init; } = 128;
        [CommandOption("--greedy"), Description("Greedy decoding (default when no --temperature is given).")]
        public bool Greedy { get; init; }
        [CommandOption("--temperature <T>"), Description("Sampling temperature.")]
        public float? Temperature { get; init; }
        [CommandOption("--top-p <P>"), Description("Nucleus sampling threshold (default 1).")]
        public float TopP { get; init; } = 1f;
        [CommandOption("--top-k <K>"), Description("Keep the K most likely tokens (default 0 = all).")]
        public int TopK { get; init; }
        [CommandOption("--seed <S>"), Description("Sampling seed.")]
        public long? Seed { get; init; }
        [CommandOption("--dtype <DTYPE>"), Description("float32 (default) or bfloat16.")]
        public string Dtype { get; init; } = "float32";
        [CommandOption("--device <DEVICE>"), Description("cpu (default) or cuda.")]
        public string Device { get; init; } = "cpu";

        public override ValidationResult Validate()
        {
            if (string.IsNullOrEmpty(Model)) return ValidationResult.Error("--model DIR is required");
            if (new[] { Prompt is not null, PromptIds is not null, Input is not null }.Count(x => x) != 1)
                return ValidationResult.Error("Give exactly one of --prompt STR, --prompt-ids 1,2,3 or --input IN.jsonl");
            if (Greedy && Temperature is not null) return ValidationResult.Error("--greedy and --temperature exclude each other");
            if (MaxNewTokens < 0 || BatchSize < 1) return ValidationResult.Error("--max-new-tokens must be >= 0 and --batch-size >= 1");
            return ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        InputPaths.RequireFolder(s.Model, "--model");
        // The tokenizer is optional: a folder without tokenizer.json still generates from ids (text is then null).
        var tok = File.Exists(Path.Combine(s.Model, "tokenizer.json")) ? QwenTokenizer.FromFolder(s.Model) : null;
        // Everything about the prompts is checked before the weights load: ids past the vocabulary would crash inside libtorch.
        var prompts = ReadPrompts(s, tok, Qwen2Config.Load(s.Model).VocabSize);
        using var model = Qwen2ForCausalLM.FromPretrained(s.Model, TorchOptions.ParseDtype(s.Dtype), TorchOptions.ParseDevice(s.Device));
        var eos = model.Config.EosTokenId.Count > 0 ? model.Config.EosTokenId : tok?.EosTokenIds ?? [];
        var pad = model.Config.PadTokenId ?? tok?.PadTokenId ?? (eos.Count > 0 ? eos[0] : 0);
        var options = new GenerationOptions(s.MaxNewTokens, Greedy: s.Temperature is null, Temperature: s.Temperature ?? 1f,
            TopP: s.TopP, TopK: s.TopK, Seed: s.Seed);

        for (int start = 0; start < prompts.Count; start += s.BatchSize)
        {
            var batch = prompts.Skip(start).Take(s.BatchSize).ToList();
            foreach (var g in Generator.Generate(model, batch, options, eos, pad))
                Console.Out.WriteLine(JsonSerializer.Serialize(new { prompt_ids = g.PromptIds, ids = g.Ids, text = tok?.Decode(g.Ids) }, CliJson.Options));
        }
        return 0;
    }

    static List<int[]> ReadPrompts(Settings s, QwenTokenizer? tok, int vocabSize)
    {
        int[] Encode(string text, string where) => tok is null
            ? throw new BadInputException($"{where}: text prompts need tokenizer.json in {s.Model}; give prompt ids instead")
            : tok.Encode(text).ToArray();
        if (s.Prompt is not null) return [Encode(s.Prompt, "--prompt")];
        if (s.PromptIds is not null) return [CliJson.CheckIds(CliJson.ParseIds(s.PromptIds, "--prompt-ids"), vocabSize, "--prompt-ids")];
        if (!File.Exists(s.Input)) throw new FileNotFoundException($"Input file not found: {s.Input}", s.Input);
        InputPaths.RequireRegularFile(s.Input!, "--input");
        var prompts = new List<int[]>();
        int lineNo = 0;
        foreach (var line in File.ReadLines(s.Input!))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var where = $"{s.Input}:{lineNo}";
            var obj = StrictJson.ParseObject(line, where);
            if (obj["prompt_ids"] is JsonArray ids)
                prompts.Add(CliJson.CheckIds(ids.Select(x => x is JsonValue v && v.TryGetValue<int>(out var id) ? id
                    : throw new BadInputException($"{where}: prompt_ids holds {x?.ToJsonString() ?? "null"}, not an integer id")).ToArray(),
                    vocabSize, $"{where}: prompt_ids"));
            else if (obj["prompt"] is JsonValue p && p.TryGetValue<string>(out var text)) prompts.Add(Encode(text, where));
            else throw new BadInputException($"{where}: needs \"prompt\" (string) or \"prompt_ids\" (array of ids)");
            if (prompts[^1].Length == 0) throw new BadInputException($"{where}: empty prompt");
        }
        if (prompts.Count == 0) throw new BadInputException($"{s.Input}: no prompts (the file has no non-blank lines)");
        return prompts;
    }
}
