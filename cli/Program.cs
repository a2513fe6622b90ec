// Entry point: registers one Spectre.Console.Cli command per verb; each command lives in Commands/.
using Grpo.Cli.Commands;
using Grpo.Torch;
using Spectre.Console.Cli;

// Long CPU runs fault in freed buffers again unless glibc keeps them (GlibcMalloc.cs): applied once a command has
// chosen a CPU device (a CUDA run's host keeps glibc's defaults); no-op if MALLOC_* is set.
TorchOptions.DeviceChosen += device => GlibcMalloc.ForDevice(device);
Grpo.Cli.ConsoleWidth.WidenWhenRedirected();

if (Grpo.Cli.MissingFlagValues.Find(args) is { } flag)
{
    Console.Error.WriteLine($"error: {flag} needs a value");
    return Grpo.Cli.CliErrors.BadInputExitCode;
}

var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("grpo");
    // A mistyped flag (--max-step for --max-steps) is an error naming it, not silently ignored.
    config.UseStrictParsing();
    config.SetExceptionHandler((e, resolver) => Grpo.Cli.CliErrors.Handle(e, resolver, args));
    config.AddCommand<TorchInfoCommand>("torch-info").WithDescription("Check that libtorch loads (runs one op).");
    config.AddCommand<EvalCommand>("eval").WithDescription("Evaluate a model folder, or a run's base model and every checkpoint, on a Parquet test set.");
    config.AddCommand<TokenizeCommand>("tokenize").WithDescription("Encode --text to ids or decode --ids to text with a model folder's tokenizer.");
    config.AddCommand<GenerateCommand>("generate").WithDescription("Generate from a model folder: --prompt, --prompt-ids or --input JSONL (batched); greedy or sampled.");
    config.AddCommand<BenchCommand>("bench").WithDescription("Tokens/s of batched greedy generation and forward+backward on a random Qwen2.5-0.5B-shaped model.");
    config.AddCommand<DataCommand>("data").WithDescription("Write a seeded train/test Parquet split of Countdown problems (generated, or --from real files).");
    config.AddCommand<ScoreCommand>("score").WithDescription("Add format/equation rewards, gen_calculation and answer to each line of a completions JSONL.");
    config.AddCommand<BenchStepCommand>("bench-step").WithDescription("Time one GRPO step (generation, reference, update) of a preset; --levers compares the update's levers interleaved.");
    config.AddCommand<PlanMemoryCommand>("plan-memory").WithDescription("Peak memory of a GRPO step by part for a model's config.json and a preset; the largest micro-batch that fits 24/40/80 GB.");
    config.AddCommand<BenchVerifierCommand>("bench-verifier").WithDescription("Measure verifier, generator and solver throughput on one thread.");
    config.AddCommand<TrainCommand>("train").WithDescription("GRPO training from a preset (tiny | qwen2.5-7b), --config FILE and flags into runs/<name>/; --resume continues.");
    config.AddCommand<PipelineCommand>("pipeline").WithDescription("The main job: data, base-model eval, GRPO with checkpoints, checkpoint evals, aha moments, report.html.");
    config.AddCommand<BuildTinyCommand>("build-tiny").WithDescription("Build the embedded tiny Qwen2 Countdown model (data/models/countdown-tiny) and its card.");
    config.AddCommand<AhaCommand>("aha").WithDescription("Extract aha-moment phrases and recoveries from a run (aha.jsonl) and print counts per step.");
    config.AddCommand<BehaviourCommand>("behaviour").WithDescription("Behaviour metrics (reflection, recoveries, faithful steps …) of a run's eval files, base first.");
    config.AddCommand<ServeCommand>("serve").WithDescription("Serve a model folder behind vLLM's /v1/completions and SGLang's /generate (loopback by default), with LoRA adapters and weight reloads from --adapters-root.");
    config.AddCommand<ReportCommand>("report").WithDescription("Write a self-contained report.html for a run folder; repeat --run to overlay other runs.");
});
return app.Run(args);
