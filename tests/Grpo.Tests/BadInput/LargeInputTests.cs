// Readers that keep a whole file in memory refuse a file far larger than its kind ever is (report, behaviour and aha
// read a 1.5 GB eval file with File.ReadAllText and ran out of memory), eval files are parsed as they stream in, and
// inputs that would hang (a FIFO for --markers) or mean nothing (an empty --phrase) are refused up front.
using Grpo.Evaluation;
using Xunit;

namespace Grpo.Tests.BadInput;

public sealed class LargeInputTests : IDisposable
{
    readonly Cli cli = new();
    readonly SpecialFiles special = new();

    public void Dispose()
    {
        cli.Dispose();
        special.Dispose();
    }

    /// <summary>A sparse file of 1.5 GB (no disk blocks, zeros when read) at <paramref name="path"/>.</summary>
    static string Huge(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using (var f = new FileStream(path, FileMode.Create)) f.SetLength(1536L << 20);
        return path;
    }

    [Fact]
    public void Report_of_a_run_with_a_huge_eval_file_names_the_file_and_its_size()
    {
        var run = special.Folder("run");
        var eval = Huge(Path.Combine(run, "eval", "base.json"));
        cli.AssertCleanError(cli.Run("report", "--run", run), eval, "1,536 MiB", "512 MiB");
    }

    [Theory]
    [InlineData("behaviour")]
    [InlineData("aha")]
    public void Huge_eval_file_given_with_input_is_refused_naming_its_size(string command)
    {
        var eval = Huge(special.Path("big.json"));
        cli.AssertCleanError(cli.Run(command, "--input", eval), eval, "1,536 MiB");
    }

    [Fact]
    public void Eval_file_is_read_from_a_stream_with_the_same_result()
    {
        var path = special.Path("e.json");
        var result = new EvalResult("checkpoint-2", 2, "m", 1, 1, 1, null,
            [new EvalRecord(0, 1, "p", [1, 2, 3], "g 等等", 6, 6, 1, [1, 0], ["a", "b"])]);
        result.Save(path);
        var loaded = EvalResult.Load(path);
        Assert.Equal(result.Records.Single().SampledGenerations, loaded.Records.Single().SampledGenerations);
        Assert.Equal("g 等等", loaded.Records.Single().Generation);
        Assert.Equal(result with { Records = loaded.Records }, loaded);
    }

    [Fact]
    public void Aha_markers_that_are_a_fifo_are_refused_instead_of_hanging()
    {
        var samples = Path.Combine(cli.WorkDir, "samples.txt");
        File.WriteAllText(samples, "=== step 1 | nums [1, 2, 3] | target 6 | reward 2.00 | format 1 | equation 1\nwait, 1+2+3=6\n\n");
        var fifo = special.Fifo();
        cli.AssertCleanError(cli.Run("aha", "--input", samples, "--markers", fifo), "--markers", fifo, "not a regular file");
    }

    [Fact]
    public void Aha_empty_phrase_is_refused_naming_the_flag()
    {
        var samples = Path.Combine(cli.WorkDir, "samples.txt");
        File.WriteAllText(samples, "=== step 1 | nums [1, 2, 3] | target 6 | reward 2.00 | format 1 | equation 1\nwait, 1+2+3=6\n\n");
        cli.AssertCleanError(cli.Run("aha", "--input", samples, "--phrase", ""), "--phrase", "blank");
    }
}
