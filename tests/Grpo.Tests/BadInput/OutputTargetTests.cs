// Outputs are written through a temporary file and a rename, so whatever stands at the output path is replaced:
// only a regular file (or nothing) may stand there. A device (as root, `score --output /dev/null` replaced the system's
// /dev/null with a regular file), a FIFO, a folder, a link to one of them or a loop of links is refused before any
// work, naming the flag and the path, and is left as it was. Folders to write into must not be files.
using Xunit;

namespace Grpo.Tests.BadInput;

public sealed class OutputTargetTests : IDisposable
{
    readonly Cli cli = new();
    readonly SpecialFiles special = new();

    public void Dispose()
    {
        cli.Dispose();
        special.Dispose();
    }

    string ScoreInput()
    {
        var input = Path.Combine(cli.WorkDir, "in.jsonl");
        File.WriteAllText(input, "{\"completion\": \"x</think>\\n<answer>1+2+3</answer>\", \"nums\": [1, 2, 3], \"target\": 6}\n");
        return input;
    }

    string SamplesInput()
    {
        var input = Path.Combine(cli.WorkDir, "samples.txt");
        File.WriteAllText(input, "=== step 1 | nums [1, 2, 3] | target 6 | reward 2.00 | format 1 | equation 1\nwait, 1+2+3=6\n\n");
        return input;
    }

    /// <summary>The non-regular targets, by name (a device only where this process may make one).</summary>
    string Target(string kind) => kind switch
    {
        "device" => special.Device() ?? Skipped("mknod needs root (or CAP_MKNOD); the FIFO cases cover the same rule"),
        "fifo" => special.Fifo(),
        "folder" => special.Folder(),
        "link to a fifo" => special.Link("link", special.Fifo("linked-fifo")),
        "loop of links" => special.LinkLoop(),
        _ => throw new ArgumentException(kind),
    };

    static string Skipped(string reason)
    {
        Skip.If(true, reason);
        return "";
    }

    void RefusedAndUntouched(string kind, Func<string, string[]> command, string flag)
    {
        string target = Target(kind);
        string before = SpecialFiles.Kind(target);
        cli.AssertCleanError(cli.Run(command(target)), flag, target);
        Assert.Equal(before, SpecialFiles.Kind(target));
    }

    [SkippableTheory]
    [InlineData("device")]
    [InlineData("fifo")]
    [InlineData("folder")]
    [InlineData("link to a fifo")]
    [InlineData("loop of links")]
    public void Score_output_that_is_not_a_regular_file_is_refused_and_left_alone(string kind) =>
        RefusedAndUntouched(kind, t => ["score", "--input", ScoreInput(), "--output", t], "--output");

    [SkippableTheory]
    [InlineData("device")]
    [InlineData("fifo")]
    [InlineData("folder")]
    public void Aha_out_that_is_not_a_regular_file_is_refused_and_left_alone(string kind) =>
        RefusedAndUntouched(kind, t => ["aha", "--input", SamplesInput(), "--out", t], "--out");

    [SkippableTheory]
    [InlineData("device")]
    [InlineData("fifo")]
    public void Eval_out_that_is_not_a_regular_file_is_refused_before_evaluating(string kind) =>
        RefusedAndUntouched(kind, t => ["eval", "--model", Cli.TinyModel, "--test", Cli.EasyTest, "-n", "1",
            "--max-new-tokens", "4", "--out", t], "--out");

    [Fact]
    public void Report_html_that_is_a_fifo_is_refused()
    {
        var run = special.Folder("run");
        var fifo = special.Fifo(Path.Combine("run", "report.html"));
        cli.AssertCleanError(cli.Run("report", "--run", run), "--run", fifo);
        Assert.Equal("fifo", SpecialFiles.Kind(fifo));
    }

    [Fact]
    public void Score_output_inside_a_file_is_refused_naming_the_file() =>
        cli.AssertCleanError(cli.Run("score", "--input", ScoreInput(), "--output", Path.Combine(special.File(), "out.jsonl")),
            "--output", special.Path("file"), "is a file");

    [Fact]
    public void Data_out_that_is_a_file_is_refused_instead_of_already_exists() =>
        cli.AssertCleanError(cli.Run("data", "--count", "10", "--test-size", "2", "--out", special.File()), "--out", "is a file, not a folder");

    [Fact]
    public void Train_run_dir_that_is_a_file_is_refused_instead_of_already_exists() =>
        cli.AssertCleanError(cli.Run("train", "--run-dir", special.File()), "--run-dir", "is a file, not a folder");

    [Fact]
    public void Score_input_that_is_a_folder_says_so() =>
        cli.AssertCleanError(cli.Run("score", "--input", special.Folder(), "--output", "out.jsonl"), "--input", "is a folder");
}
