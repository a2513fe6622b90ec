// `tokenize`: text -> {"ids": [...]} or ids -> {"text": "..."} with the model folder's tokenizer.
using System.ComponentModel;
using System.Text.Json;
using Grpo.Files;
using Grpo.Model;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Grpo.Cli.Commands;

public sealed class TokenizeCommand : Command<TokenizeCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--model <DIR>"), Description("Model folder holding tokenizer.json (and tokenizer_config.json).")]
        public string Model { get; init; } = "";

        [CommandOption("--text <STR>"), Description("Text to encode.")]
        public string? Text { get; init; }

        [CommandOption("--ids <IDS>"), Description("Comma-separated ids to decode, e.g. 1,2,3.")]
        public string? Ids { get; init; }

        [CommandOption("--skip-special-tokens"), Description("With --ids: leave out added tokens marked special (as transformers' skip_special_tokens).")]
        public bool SkipSpecialTokens { get; init; }

        public override ValidationResult Validate() =>
            string.IsNullOrEmpty(Model) ? ValidationResult.Error("--model DIR is required")
            : (Text is null) == (Ids is null) ? ValidationResult.Error("Give exactly one of --text STR or --ids 1,2,3")
            : SkipSpecialTokens && Ids is null ? ValidationResult.Error("--skip-special-tokens applies to decoding (--ids) only")
            : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        InputPaths.RequireFolder(settings.Model, "--model");
        var tok = QwenTokenizer.FromFolder(settings.Model);
        var json = settings.Text is not null
            ? JsonSerializer.Serialize(new { ids = tok.Encode(settings.Text) }, CliJson.Options)
            : JsonSerializer.Serialize(new { text = tok.Decode(CliJson.CheckIds(CliJson.ParseIds(settings.Ids!, "--ids"), tok.VocabSize, "--ids"), settings.SkipSpecialTokens) }, CliJson.Options);
        Console.Out.WriteLine(json);
        return 0;
    }
}

/// <summary>JSON output settings shared by the model commands (non-ASCII text printed as is).</summary>
static class CliJson
{
    public static readonly JsonSerializerOptions Options = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static int[] ParseIds(string text, string what)
    {
        var ids = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v
                : throw new BadInputException($"{what}: \"{s}\" is not an integer id"))
            .ToArray();
        return ids.Length > 0 ? ids : throw new BadInputException($"{what}: no ids given (expected e.g. 1,2,3)");
    }

    /// <summary>Ids outside [0, vocabSize) decode to nothing or crash inside libtorch: refuse them, naming the first.</summary>
    public static int[] CheckIds(int[] ids, int vocabSize, string what)
    {
        foreach (var id in ids)
            if (id < 0 || id >= vocabSize)
                throw new BadInputException($"{what}: id {id} is outside the vocabulary [0, {vocabSize})");
        return ids;
    }
}
