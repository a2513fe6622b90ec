// Output piped or redirected to a file has no terminal width: Spectre.Console then assumes 80 columns, wraps plain
// lines and squeezes every table column until its text breaks ("bfloat1 / 6"). There it gets room to print each table
// row and each line whole; a terminal keeps its own width.
using Spectre.Console;

namespace Grpo.Cli;

static class ConsoleWidth
{
    /// <summary>Wide enough for any table the commands print, so nothing wraps.</summary>
    public const int Redirected = 4096;

    public static void WidenWhenRedirected()
    {
        if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = Redirected;
    }
}
