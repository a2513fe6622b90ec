// What a new user types first: `--help` of the root and of every command the CLI registers (the list comes from the
// CLI itself, Spectre's `cli xmldoc`, so a new command is covered without touching this file), each a real process of
// the built CLI that must exit 0 with its usage and no exception. And output piped to a file keeps table rows whole.
using System.Diagnostics;
using System.Xml.Linq;
using Xunit;

namespace Grpo.Tests.Cli;

public sealed class HelpAndOutputTests
{
    /// <summary>grpo.dll (the CLI project's output, copied next to the tests) with stdout and stderr piped, as in CI.</summary>
    static (int Code, string Stdout, string Stderr) Grpo(params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = TestPaths.RepoRoot,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "grpo.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment.Remove("COLUMNS");
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(1)), $"grpo {string.Join(' ', args)} did not finish in a minute");
        return (process.ExitCode, stdout, stderr.Result);
    }

    /// <summary>Every command path the CLI registers ("eval", or "branch sub" for nested ones), from its own model.</summary>
    static List<string> RegisteredCommands()
    {
        var (code, xml, err) = Grpo("cli", "xmldoc");
        Assert.True(code == 0, $"grpo cli xmldoc exited {code}: {err}");
        var names = new List<string>();
        void Walk(XElement parent, string prefix)
        {
            foreach (var command in parent.Elements("Command"))
            {
                var name = (prefix + " " + (string)command.Attribute("Name")!).Trim();
                names.Add(name);
                Walk(command, name);
            }
        }
        Walk(XDocument.Parse(xml).Root!, "");
        return names;
    }

    [Fact]
    public void The_registered_commands_include_the_ones_the_README_lists()
    {
        var commands = RegisteredCommands();
        var readme = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "README.md"));
        var listed = System.Text.RegularExpressions.Regex.Matches(readme, @"^\| `(?<name>[a-z-]+)` \|", System.Text.RegularExpressions.RegexOptions.Multiline)
            .Select(m => m.Groups["name"].Value).ToList();
        Assert.NotEmpty(listed);
        Assert.All(listed, name => Assert.Contains(name, commands));
    }

    [Fact]
    public void Help_of_the_root_and_of_every_registered_command_exits_0_and_shows_its_usage()
    {
        var failures = new List<string>();
        foreach (var command in RegisteredCommands().Prepend(""))
        {
            var args = command.Split(' ', StringSplitOptions.RemoveEmptyEntries).Append("--help").ToArray();
            var (code, stdout, stderr) = Grpo(args);
            var shown = $"grpo {string.Join(' ', args)}";
            if (code != 0) failures.Add($"{shown}: exit code {code}\n{stdout}{stderr}");
            else if (!stdout.Contains("USAGE:")) failures.Add($"{shown}: no USAGE section\n{stdout}");
            else if ((stdout + stderr).Contains("Exception")) failures.Add($"{shown}: mentions an exception\n{stdout}{stderr}");
            else if (stderr.Trim().Length > 0) failures.Add($"{shown}: wrote to stderr\n{stderr}");
        }
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    [Fact]
    public void Piped_output_keeps_each_line_and_table_row_whole()
    {
        var (code, stdout, stderr) = Grpo("plan-memory", "--model-config", "data/model-shapes/qwen2.5-7b.json", "--preset", "qwen2.5-7b");
        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n');
        // The first line names the model in full (hidden size … parameter count), not cut at 80 columns.
        Assert.Matches(@"^model: hidden \d+, .* parameters\s*$", lines[0]);
        var rows = lines.Where(l => l.StartsWith('│')).ToList();
        Assert.NotEmpty(rows);
        // A wrapped row continues on a line whose first cell is blank; every row of this table names its phase.
        Assert.All(rows, row => Assert.False(string.IsNullOrWhiteSpace(row.Split('│')[1]), $"wrapped row: {row}"));
        Assert.Contains(rows, r => r.Contains("phase") && r.Contains("part") && r.Contains("GiB") && r.Contains("what"));
    }
}
