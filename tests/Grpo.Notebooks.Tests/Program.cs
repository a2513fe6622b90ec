// Entry point of the runner (the tests start it once per notebook, so each notebook gets a fresh process):
//   dotnet Grpo.Notebooks.Tests.dll NOTEBOOK.ipynb [--out EXECUTED.ipynb] [--set name=value]...
// Exit code 0: every cell ran; 1: a cell failed or the notebook is empty (details on stderr); 2: bad arguments.
// And the offline chart check of notebooks executed elsewhere (CI runs it on Jupyter's nbconvert outputs):
//   dotnet Grpo.Notebooks.Tests.dll --charts-offline EXECUTED.ipynb...
// Exit code 0: every chart output drew offline (plain and with an AMD loader); 1: one did not, or a notebook has none;
// 2: nbconvert or Chromium missing.
using System.Text.Json;
using Grpo.Notebooks.Tests;

if (args.Length > 0 && args[0] == "--charts-offline") return ChartsOffline(args[1..]);

if (args.Length == 0 || args[0].StartsWith('-'))
{
    Console.Error.WriteLine("usage: Grpo.Notebooks.Tests NOTEBOOK.ipynb [--out EXECUTED.ipynb] [--set name=value]...");
    return 2;
}
string notebook = args[0];
string? outPath = null;
var overrides = new Dictionary<string, string>();
for (int i = 1; i < args.Length; i++)
{
    if (args[i] == "--out" && i + 1 < args.Length) outPath = Path.GetFullPath(args[++i]);
    else if (args[i] == "--set" && i + 1 < args.Length && args[i + 1].IndexOf('=') is > 0 and var eq)
    {
        overrides[args[i + 1][..eq]] = args[i + 1][(eq + 1)..];
        i++;
    }
    else
    {
        Console.Error.WriteLine($"unknown or incomplete argument '{args[i]}'");
        return 2;
    }
}
try
{
    var executed = await NotebookRunner.RunAsync(notebook, overrides, Console.Out);
    if (outPath is not null)
        File.WriteAllText(outPath, executed.ToJsonString(new JsonSerializerOptions
        {
            WriteIndented = true,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }));
    Console.Out.WriteLine("notebook ok");
    return 0;
}
catch (Exception e) when (e is NotebookCellFailedException or InvalidDataException)
{
    Console.Error.WriteLine(e.Message);
    return 1;
}

static int ChartsOffline(string[] notebooks)
{
    if (OfflineBrowser.MissingTools is { } missing)
    {
        Console.Error.WriteLine(missing);
        return 2;
    }
    if (notebooks.Length == 0)
    {
        Console.Error.WriteLine("usage: Grpo.Notebooks.Tests --charts-offline EXECUTED.ipynb...");
        return 2;
    }
    var htmlDir = Directory.CreateTempSubdirectory("grpo-charts-offline-").FullName;
    int failed = 0;
    foreach (var notebook in notebooks)
    {
        var (plain, amd) = OfflineBrowser.CheckExecutedNotebook(notebook, htmlDir);
        bool ok = plain.Expected > 0 && plain.Drawn == plain.Expected && amd.Drawn == amd.Expected;
        Console.WriteLine($"{Path.GetFileName(notebook)}: {plain.Drawn} of {plain.Expected} charts drew offline, " +
                          $"{amd.Drawn} with an AMD loader on the page{(plain.Expected == 0 ? " (no chart output: failed)" : "")}");
        if (!ok)
        {
            failed++;
            Console.Error.WriteLine($"{Path.GetFileName(notebook)}: {plain.Describe()}");
        }
    }
    Directory.Delete(htmlDir, recursive: true);
    return failed == 0 ? 0 : 1;
}

