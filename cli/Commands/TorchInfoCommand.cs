// `torch-info`: proves libtorch loads on this machine and prints the backend in use.
using Grpo.Torch;
using Spectre.Console;
using Spectre.Console.Cli;
using TorchSharp;

namespace Grpo.Cli.Commands;

public sealed class TorchInfoCommand : Command
{
    public override int Execute(CommandContext context, CancellationToken cancellationToken)
    {
        AnsiConsole.MarkupLine($"libtorch ok: 1+2 = {TorchCheck.OnePlusTwo()}; cuda available: {torch.cuda.is_available()}");
        return 0;
    }
}
