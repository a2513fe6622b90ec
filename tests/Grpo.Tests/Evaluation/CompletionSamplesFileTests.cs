// The completion samples parser: header fields, multi-line completions (also ones holding header-like lines), the
// resume cut, and errors that name file and line.
using Grpo.Evaluation;
using Xunit;

namespace Grpo.Tests.Evaluation;

public class CompletionSamplesFileTests
{
    [Fact]
    public void Entries_parse_with_header_fields_and_exact_completion_text()
    {
        var text =
            "=== step 12 | nums [3, 5, 7] | target 22 | reward 2.00 | format 1 | equation 1\n" +
            "3*5=15\n\n15+7=22</think>\n<answer>3*5+7</answer>\n\n" +
            "=== step 13 | nums [44, 19, 35] | target 98 | reward 0.00 | format 0 | equation 0\n" +
            "no tags at all\n";
        var samples = CompletionSamplesFile.Parse(text, "x.txt");
        Assert.Equal(2, samples.Count);
        var a = samples[0];
        Assert.Equal((12, 22, 2.0, 1, 1, 1), (a.Step, a.Target, a.Reward, a.Format, a.Equation, a.Line));
        Assert.Equal([3, 5, 7], a.Nums);
        Assert.Equal("3*5=15\n\n15+7=22</think>\n<answer>3*5+7</answer>", a.Completion);
        var b = samples[1];
        Assert.Equal((13, 98, 0, 7), (b.Step, b.Target, b.Equation, b.Line));
        Assert.Equal([44, 19, 35], b.Nums);
        Assert.Equal("no tags at all", b.Completion);
    }

    [Fact]
    public void Entries_written_by_the_writer_parse_back_unchanged()
    {
        var written = new[]
        {
            new CompletionSample(5, [12, 7, 3], 33, 2.0, 1, 1, "12*3=36\n\n36-7=29? no</think>\n<answer>12*3-7+... </answer>"),
            new CompletionSample(6, [9, 9, 9], 1, 1.0, 1, 0, "ends with a newline\n"),
            new CompletionSample(6, [1, 2, 3, 4], 24, 0.0, 0, 0, ""),
            new CompletionSample(7, [2, 3, 4], 24, 0.0, 0, 0, "\n\nblank lines around\n\n"),
        };
        var text = string.Concat(written.Select(CompletionSamplesFile.Format));
        var read = CompletionSamplesFile.Parse(text, "samples.txt");
        Assert.Equal(written.Length, read.Count);
        for (int i = 0; i < written.Length; i++)
        {
            Assert.Equal((written[i].Step, written[i].Target, written[i].Reward, written[i].Format, written[i].Equation),
                (read[i].Step, read[i].Target, read[i].Reward, read[i].Format, read[i].Equation));
            Assert.Equal(written[i].Nums, read[i].Nums);
            Assert.Equal(written[i].Completion, read[i].Completion);
        }
    }

    [Fact]
    public void A_resume_cuts_the_entries_of_later_steps_and_keeps_the_rest_byte_for_byte()
    {
        var path = Path.Combine(Path.GetTempPath(), $"grpo-samples-{Guid.NewGuid():N}.txt");
        try
        {
            CompletionSamplesFile.Append(path, [new CompletionSample(1, [1, 2, 3], 6, 2, 1, 1, "a\nstep 9 is not a header")]);
            CompletionSamplesFile.Append(path, []);   // a batch with nothing sampled writes nothing
            CompletionSamplesFile.Append(path, [new CompletionSample(2, [4, 5, 6], 15, 0, 0, 0, "b"), new CompletionSample(2, [4, 5, 6], 15, 1, 1, 0, "c")]);
            var twoSteps = File.ReadAllText(path);
            CompletionSamplesFile.Append(path, [new CompletionSample(3, [7, 8, 9], 24, 0, 0, 0, "d")]);

            CompletionSamplesFile.TruncateAfter(path, 3);
            Assert.Equal(4, CompletionSamplesFile.Read(path).Count);
            CompletionSamplesFile.TruncateAfter(path, 2);
            Assert.Equal(twoSteps, File.ReadAllText(path));
            CompletionSamplesFile.TruncateAfter(path, 0);
            Assert.Empty(CompletionSamplesFile.Read(path));
        }
        finally { File.Delete(path); }
    }

    // A model can write anything, including a line that looks like this file's entry header.
    const string FakeHeader = "=== step 99 | nums [1, 2] | target 3 | reward 2.00 | format 1 | equation 1";

    [Fact]
    public void A_completion_with_lines_that_look_like_entry_headers_reads_back_exactly()
    {
        var written = new[]
        {
            new CompletionSample(1, [1, 2, 3], 6, 0, 0, 0, FakeHeader + "\n1+2+3=6"),
            new CompletionSample(1, [1, 2, 3], 6, 0, 0, 0, "a\n=== step 5 and then some\n\\=== step 7 already escaped-looking\n\\\\=== step 8"),
            new CompletionSample(2, [4, 5, 6], 15, 0, 0, 0, "=== step "),
            new CompletionSample(2, [4, 5, 6], 15, 0, 0, 0, "not a header: \\=== step 1 mid-line, ==== step 2"),
        };
        var text = string.Concat(written.Select(CompletionSamplesFile.Format));
        // Readable for people: the header-like line is there, behind one backslash.
        Assert.Contains("\n\\" + FakeHeader + "\n", text);
        var read = CompletionSamplesFile.Parse(text, "samples.txt");
        Assert.Equal(written.Select(w => (w.Step, w.Completion)), read.Select(r => (r.Step, r.Completion)));
    }

    [Fact]
    public void A_resume_cut_is_not_moved_by_a_header_like_line_inside_a_completion()
    {
        var path = Path.Combine(Path.GetTempPath(), $"grpo-samples-{Guid.NewGuid():N}.txt");
        try
        {
            // Step 1's completion holds a line that reads like an entry of step 99, which a cut after step 1 would drop.
            CompletionSamplesFile.Append(path, [new CompletionSample(1, [1, 2], 3, 2, 1, 1, "1+2=3\n" + FakeHeader + "\nok")]);
            var stepOne = File.ReadAllText(path);
            CompletionSamplesFile.Append(path, [new CompletionSample(2, [4, 5], 9, 0, 0, 0, "b")]);

            CompletionSamplesFile.TruncateAfter(path, 1);
            Assert.Equal(stepOne, File.ReadAllText(path));
            Assert.Equal("1+2=3\n" + FakeHeader + "\nok", Assert.Single(CompletionSamplesFile.Read(path)).Completion);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Empty_file_has_no_entries()
    {
        Assert.Empty(CompletionSamplesFile.Parse("", "empty.txt"));
        Assert.Empty(CompletionSamplesFile.Parse("\n\n", "empty.txt"));
    }

    [Fact]
    public void Malformed_header_error_names_file_and_line()
    {
        var text =
            "=== step 1 | nums [1, 2, 3] | target 6 | reward 2.00 | format 1 | equation 1\n" +
            "ok\n\n" +
            "=== step two | nums [1, 2, 3] | target 6 | reward 2.00 | format 1 | equation 1\n" +
            "bad\n";
        var e = Assert.Throws<FormatException>(() => CompletionSamplesFile.Parse(text, "runs/r/completion_samples.txt"));
        Assert.StartsWith("runs/r/completion_samples.txt:4:", e.Message);
        Assert.Contains("step two", e.Message);
    }

    [Fact]
    public void Text_before_the_first_header_is_an_error()
    {
        var e = Assert.Throws<FormatException>(() => CompletionSamplesFile.Parse("\nhello\n=== step 1 | nums [1] | target 1 | reward 0 | format 0 | equation 0\n", "f.txt"));
        Assert.StartsWith("f.txt:2:", e.Message);
    }

    [Fact]
    public void Non_integer_nums_and_reward_are_errors_naming_the_value()
    {
        var nums = Assert.Throws<FormatException>(() => CompletionSamplesFile.Parse(
            "=== step 1 | nums [1, x, 3] | target 6 | reward 2.00 | format 1 | equation 1\n", "f.txt"));
        Assert.Contains("f.txt:1:", nums.Message);
        Assert.Contains("1, x, 3", nums.Message);
        var reward = Assert.Throws<FormatException>(() => CompletionSamplesFile.Parse(
            "=== step 1 | nums [1, 2, 3] | target 6 | reward 2,0.0 | format 1 | equation 1\n", "f.txt"));
        Assert.Contains("reward", reward.Message);
    }

    [Fact]
    public void Missing_file_names_the_path()
    {
        var e = Assert.Throws<FileNotFoundException>(() => CompletionSamplesFile.Read("/nonexistent/samples.txt"));
        Assert.Contains("/nonexistent/samples.txt", e.Message);
    }
}
