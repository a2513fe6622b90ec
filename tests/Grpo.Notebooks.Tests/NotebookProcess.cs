// Starts the runner (this assembly's entry point) in a fresh process for one notebook and collects the result.
using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Grpo.Notebooks.Tests;

public sealed record NotebookRun(int ExitCode, string Output, string Errors, JsonObject? Executed, TimeSpan Elapsed)
{
    /// <summary>All output data of the executed notebook, per mime type (e.g. "text/html").</summary>
    public IEnumerable<string> Data(string mimeType) =>
        Executed?["cells"]?.AsArray().SelectMany(c => c?["outputs"]?.AsArray() ?? [])
            .Select(o => Text(o?["data"]?[mimeType])).OfType<string>() ?? [];

    /// <summary>Everything the notebook printed (stdout and stderr streams).</summary>
    public string Streams() => string.Concat(Executed?["cells"]?.AsArray().SelectMany(c => c?["outputs"]?.AsArray() ?? [])
        .Where(o => (string?)o?["output_type"] == "stream").Select(o => Text(o?["text"])) ?? []);

    /// <summary>nbformat's multiline text: one string, or (as nbconvert writes it) a list of lines to concatenate.</summary>
    static string? Text(JsonNode? node) => node switch
    {
        JsonArray lines => string.Concat(lines.Select(l => (string?)l)),
        JsonValue value => (string?)value,
        _ => null,
    };

    public string Describe() => $"exit code {ExitCode} after {Elapsed.TotalSeconds:F0} s\n--- stdout ---\n{Output}\n--- stderr ---\n{Errors}";
}

public static class NotebookProcess
{
    /// <summary>The repository root: the folder holding Grpo.Lib.csproj, found by walking up from the test assembly.</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>Scratch folder for executed notebooks and their run folders (under the ignored artifacts/).</summary>
    public static string WorkDir { get; } = Directory.CreateDirectory(Path.Combine(RepoRoot, "artifacts", "nbtest")).FullName;

    /// <summary>Runs the notebook in a fresh process; the executed copy goes to WorkDir/&lt;name&gt;.executed.ipynb, or
    /// &lt;executedName&gt;.ipynb there (a second run of the same notebook keeps the first one's copy).</summary>
    public static NotebookRun Run(string notebookPath, IReadOnlyDictionary<string, string>? overrides = null,
                                  TimeSpan? timeout = null, string? executedName = null)
    {
        string executedPath = Path.Combine(WorkDir, (executedName ?? Path.GetFileNameWithoutExtension(notebookPath) + ".executed") + ".ipynb");
        File.Delete(executedPath);
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = WorkDir,
        };
        psi.ArgumentList.Add(typeof(NotebookRunner).Assembly.Location);
        psi.ArgumentList.Add(notebookPath);
        psi.ArgumentList.Add("--out");
        psi.ArgumentList.Add(executedPath);
        foreach (var (name, value) in overrides ?? new Dictionary<string, string>())
        {
            psi.ArgumentList.Add("--set");
            psi.ArgumentList.Add($"{name}={value}");
        }
        // Keep freed memory for reuse: large fresh allocations fault pages in slowly on these machines (GlibcMalloc.cs).
        psi.Environment["MALLOC_MMAP_THRESHOLD_"] = "33554432";
        psi.Environment["MALLOC_TRIM_THRESHOLD_"] = "68719476736";
        psi.Environment["MALLOC_TOP_PAD_"] = "1073741824";
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        // The notebooks read notebooks/settings.json, which the overrides replace; never a file named by the caller's shell.
        psi.Environment.Remove("GRPO_NOTEBOOK_SETTINGS");

        var watch = Stopwatch.StartNew();
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(10)))   // a hang guard, not a speed check
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return new NotebookRun(-1, stdout.Result, stderr.Result + "\n(timed out, killed)", null, watch.Elapsed);
        }
        process.WaitForExit();
        File.AppendAllText(Path.Combine(WorkDir, "timings.txt"),
            $"{DateTime.UtcNow:u} {Path.GetFileName(notebookPath)} exit {process.ExitCode} {watch.Elapsed.TotalSeconds:F1} s\n");
        var executed = File.Exists(executedPath) ? JsonNode.Parse(File.ReadAllText(executedPath))!.AsObject() : null;
        return new NotebookRun(process.ExitCode, stdout.Result, stderr.Result, executed, watch.Elapsed);
    }

    static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Grpo.Lib.csproj"))) return dir.FullName;
        throw new DirectoryNotFoundException($"No folder holding Grpo.Lib.csproj above {AppContext.BaseDirectory}");
    }
}
