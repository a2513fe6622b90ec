// `serve`: vLLM's and SGLang's completion APIs answered by this project's generator for one model folder, on loopback
// unless told otherwise, so a GRPO run's server rollouts (use_vllm) work without a GPU and other tools can sample
// from a checkpoint. Runs until Ctrl-C. The computation lives in Grpo.Serving; this is the HTTP host and its flags.
using System.ComponentModel;
using System.Net;
using Grpo.Cli.Serve;
using Grpo.Files;
using Grpo.Serving;
using Grpo.Torch;
using Spectre.Console.Cli;

namespace Grpo.Cli.Commands;

public sealed class ServeCommand : Command<ServeCommand.Settings>
{
    static readonly ServeOptions Defaults = new("");

    public sealed class Settings : CommandSettings
    {
        [CommandOption("--model <DIR>"), Description("Hugging Face Qwen2 model folder to serve.")]
        public string Model { get; init; } = "";
        [CommandOption("--adapters-root <DIR>"), Description("LoRA adapters (load_lora_adapter) and full weights (update_weights_from_disk) load only from folders inside DIR; without it, loading is refused.")]
        public string? AdaptersRoot { get; init; }
        [CommandOption("--host <ADDRESS>"), Description("Address to listen on (default 127.0.0.1, this machine only).")]
        public string Host { get; init; } = "127.0.0.1";
        [CommandOption("--port <N>"), Description("Port (default 8000; 0 picks a free one, printed at start).")]
        public int Port { get; init; } = 8000;
        [CommandOption("--served-model-name <NAME>"), Description("The model name requests use (default: --model as given).")]
        public string? ServedModelName { get; init; }
        [CommandOption("--dtype <DTYPE>"), Description("float32 (default) or bfloat16.")]
        public string Dtype { get; init; } = Defaults.Dtype;
        [CommandOption("--device <DEVICE>"), Description("cpu (default) or cuda.")]
        public string Device { get; init; } = Defaults.Device;
        [CommandOption("--max-n <N>"), Description("Completions per prompt (n) at most (default 64).")]
        public int MaxN { get; init; } = Defaults.MaxN;
        [CommandOption("--max-rows <N>"), Description("Completions per request at most (default 4096).")]
        public int MaxRows { get; init; } = Defaults.MaxRows;
        [CommandOption("--max-tokens <N>"), Description("New tokens per completion at most (default 0: the model's positions).")]
        public int MaxTokens { get; init; } = Defaults.MaxTokens;
        [CommandOption("--max-request-bytes <N>"), Description("Request bodies larger than this are refused (default 8 MiB).")]
        public long MaxRequestBytes { get; init; } = Defaults.MaxRequestBytes;
        [CommandOption("--threads <N>"), Description("torch intra-op threads (default: libtorch's choice).")]
        public int? Threads { get; init; }
    }

    /// <summary>Flag values, each refused as bad input naming the flag (exit code 1, one line).</summary>
    static void Check(Settings s)
    {
        if (string.IsNullOrEmpty(s.Model)) throw new BadInputException("--model DIR is required");
        if (!IPAddress.TryParse(s.Host, out _)) throw new BadInputException($"--host must be an IP address such as 127.0.0.1, got '{s.Host}'");
        if (s.Port is < 0 or > 65535) throw new BadInputException($"--port must be in 0..65535, got {s.Port}");
        if (s.MaxN < 1) throw new BadInputException($"--max-n must be >= 1, got {s.MaxN}");
        if (s.MaxRows < 1) throw new BadInputException($"--max-rows must be >= 1, got {s.MaxRows}");
        if (s.MaxTokens < 0) throw new BadInputException($"--max-tokens must be >= 0, got {s.MaxTokens}");
        if (s.MaxRequestBytes < 1024) throw new BadInputException($"--max-request-bytes must be >= 1024, got {s.MaxRequestBytes}");
        if (s.Threads is < 1) throw new BadInputException($"--threads must be >= 1, got {s.Threads}");
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        Check(s);
        InputPaths.RequireFolder(s.Model, "--model");
        if (s.AdaptersRoot is not null) InputPaths.RequireFolder(s.AdaptersRoot, "--adapters-root");
        TorchOptions.ParseDtype(s.Dtype);
        if (s.Threads is int threads) TorchThreads.Set(threads);
        var address = IPAddress.Parse(s.Host);
        using var engine = new CompletionEngine(new ServeOptions(s.Model, s.AdaptersRoot, s.Device, s.Dtype, s.ServedModelName,
            s.MaxN, s.MaxRows, s.MaxTokens, s.MaxRequestBytes));
        var app = ServeHost.Start(engine, address, s.Port);
        var urls = ServeHost.Urls(app);
        Console.WriteLine($"grpo serve: {engine.Options.Name} listening on {string.Join(", ", urls)}" +
            (engine.Options.AdaptersRoot is { } root ? $"; adapters and weights load from {Path.GetFullPath(root)}" : "; loading adapters is off (no --adapters-root)"));
        if (!IPAddress.IsLoopback(address))
            Console.WriteLine($"warning: {s.Host} is reachable from other machines; anyone who reaches it can generate" +
                (s.AdaptersRoot is null ? "" : " and load adapters from --adapters-root"));
        Console.Out.Flush();

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; stop.Cancel(); };
        Console.CancelKeyPress += onCancel;
        using var terminate = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c =>
        {
            c.Cancel = true;
            stop.Cancel();
        });
        try { stop.Token.WaitHandle.WaitOne(); }
        finally
        {
            Console.CancelKeyPress -= onCancel;
            app.StopAsync().GetAwaiter().GetResult();
            ((IDisposable)app).Dispose();
        }
        Console.WriteLine("grpo serve: stopped");
        return 0;
    }
}
