// Entry point: registers one Spectre.Console.Cli command per verb; each command lives in Commands/.
using Grpo.Cli.Commands;
using Spectre.Console.Cli;

var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("grpo");
    config.AddCommand<TorchInfoCommand>("torch-info").WithDescription("Check that libtorch loads (runs one op).");
    config.AddCommand<AhaCommand>("aha").WithDescription("Extract aha-moment phrases from a run (aha.jsonl) and print counts per step.");
});
return app.Run(args);
