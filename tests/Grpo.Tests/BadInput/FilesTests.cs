// The file rules every reader and writer shares: plain names, regular files, duplicate-free JSON, atomic writes.
using System.Diagnostics;
using Grpo.Files;
using Xunit;

namespace Grpo.Tests.BadInput;

public sealed class FilesTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("grpo-files-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("../..")]
    [InlineData("/tmp/x")]
    [InlineData("a\\b")]
    [InlineData("run\n2")]
    [InlineData(" run")]
    public void Plain_name_refuses_anything_that_could_point_elsewhere(string name) =>
        Assert.StartsWith("--name: ", Assert.Throws<BadInputException>(() => InputPaths.PlainName(name, "--name")).Message);

    [Theory]
    [InlineData("tiny")]
    [InlineData("run-2026.11_a")]
    [InlineData("実験")]
    public void Plain_name_accepts_ordinary_names(string name) => Assert.Equal(name, InputPaths.PlainName(name, "--name"));

    [Fact]
    public void Fifo_folder_and_missing_file_are_not_regular_files()
    {
        var fifo = Path.Combine(dir, "fifo");
        using (var mkfifo = Process.Start("mkfifo", fifo)) mkfifo.WaitForExit();
        Assert.Contains("not a regular file", Assert.Throws<BadInputException>(() => InputPaths.RequireRegularFile(fifo, "--input")).Message);
        Assert.Contains("is a folder", Assert.Throws<BadInputException>(() => InputPaths.RequireRegularFile(dir, "--input")).Message);
        Assert.Contains("file not found", Assert.Throws<BadInputException>(() => InputPaths.RequireRegularFile(Path.Combine(dir, "nope"), "--input")).Message);
        Assert.Contains("not a regular file", Assert.Throws<BadInputException>(() => InputPaths.RequireRegularFile("/dev/zero", "--input")).Message);
    }

    [Fact]
    public void Duplicate_key_at_any_depth_is_refused_naming_the_source()
    {
        var e = Assert.Throws<BadInputException>(() => StrictJson.ParseObject("""{"a": {"b": 1, "b": 2}}""", "cfg.json"));
        Assert.StartsWith("cfg.json: ", e.Message);
        Assert.Contains("'b'", e.Message);
        Assert.Contains("expected a JSON object, got an array", Assert.Throws<BadInputException>(() => StrictJson.ParseObject("[1]", "x")).Message);
    }

    [Fact]
    public void Failed_atomic_write_leaves_the_old_file_and_no_temporary_file()
    {
        var path = Path.Combine(dir, "eval.json");
        File.WriteAllText(path, "old");
        Assert.Throws<IOException>(() => AtomicFile.Write(path, s => { s.Write("new, half"u8); throw new IOException("disk full"); }));
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(dir));
        AtomicFile.WriteAllText(path, "new");
        Assert.Equal("new", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(dir));
    }
}
