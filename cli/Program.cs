// Entry point: registers one Spectre.Console.Cli command per verb; each command lives in Commands/.
using Grpo.Cli.Commands;
using Spectre.Console.Cli;

var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("grpo");
    config.AddCommand<TorchInfoCommand>("torch-info").WithDescription("Check that libtorch loads (runs one op).");
    config.AddCommand<TokenizeCommand>("tokenize").WithDescription("Encode --text to ids or decode --ids to text with a model folder's tokenizer.");
    config.AddCommand<GenerateCommand>("generate").WithDescription("Generate from a model folder: --prompt, --prompt-ids or --input JSONL (batched); greedy or sampled.");
    config.AddCommand<BenchCommand>("bench").WithDescription("Tokens/s of batched greedy generation and forward+backward on a random Qwen2.5-0.5B-shaped model.");
    config.AddCommand<AhaCommand>("aha").WithDescription("Extract aha-moment phrases from a run (aha.jsonl) and print counts per step.");
});
return app.Run(args);
