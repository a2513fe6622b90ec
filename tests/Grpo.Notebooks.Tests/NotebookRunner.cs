// Headless notebook runner: hosts the .NET Interactive C# kernel in this process, runs every code cell of one
// .ipynb top to bottom and writes the executed notebook (nbformat outputs) next to it or where asked.
using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Events;
using Microsoft.DotNet.Interactive.Formatting;
using Microsoft.DotNet.Interactive.PackageManagement;

namespace Grpo.Notebooks.Tests;

/// <summary>A cell that failed: its index, its source and the kernel's error.</summary>
public sealed class NotebookCellFailedException(int cellIndex, string source, string error)
    : Exception($"cell {cellIndex} failed:\n--- source ---\n{source}\n--- error ---\n{error}");

public sealed class NotebookRunner
{
    /// <summary>
    /// Runs the notebook at <paramref name="notebookPath"/> with the working directory set to its folder (as Jupyter
    /// does, so `#r "../artifacts/publish/Grpo.Lib.dll"` resolves), after overriding values of its parameters cell.
    /// Returns the notebook JSON with outputs filled in. Throws on a failed cell or a notebook without code.
    /// </summary>
    public static async Task<JsonObject> RunAsync(string notebookPath, IReadOnlyDictionary<string, string> overrides,
                                                  TextWriter log)
    {
        var notebook = JsonNode.Parse(File.ReadAllText(notebookPath))?.AsObject()
                       ?? throw new InvalidDataException($"{notebookPath}: not a JSON object");
        var cells = notebook["cells"]?.AsArray() ?? throw new InvalidDataException($"{notebookPath}: no \"cells\" array");
        var codeCells = cells.Select(c => c!.AsObject()).Where(c => (string?)c["cell_type"] == "code").ToList();
        if (codeCells.Count(c => !string.IsNullOrWhiteSpace(Source(c))) == 0)
            throw new InvalidDataException($"{notebookPath}: the notebook has no code cells to run");
        if (overrides.Count > 0) ApplyOverrides(notebookPath, codeCells, overrides);

        Directory.SetCurrentDirectory(Path.GetDirectoryName(Path.GetFullPath(notebookPath))!);
        using var kernel = CreateKernel();
        int index = 0;
        foreach (var cell in cells.Select(c => c!.AsObject()))
        {
            index++;
            if ((string?)cell["cell_type"] != "code") continue;
            string source = Source(cell);
            var outputs = new JsonArray();
            cell["outputs"] = outputs;
            if (string.IsNullOrWhiteSpace(source)) continue;
            var watch = Stopwatch.StartNew();
            var result = await kernel.SendAsync(new SubmitCode(source));
            var errors = new List<string>();
            foreach (var e in result.Events)
            {
                // NOTEBOOK_RUNNER_TRACE=1 lists the kernel's events per cell (to debug formatting and display ids).
                if (Environment.GetEnvironmentVariable("NOTEBOOK_RUNNER_TRACE") == "1") log.WriteLine($"  {e.GetType().Name} {(e as DisplayEvent)?.ValueId}");
                AddOutput(outputs, e, errors);
            }
            cell["execution_count"] = index;
            log.WriteLine($"cell {index}: {(errors.Count == 0 ? "ok" : "FAILED")} in {watch.Elapsed.TotalSeconds:F1} s");
            if (errors.Count > 0) throw new NotebookCellFailedException(index, source, string.Join("\n", errors));
        }
        return notebook;
    }

    static CompositeKernel CreateKernel()
    {
        // What the dotnet-interactive tool sets up for a browser front end (Jupyter): HTML by default, strings as text.
        Formatter.DefaultMimeType = HtmlFormatter.MimeType;
        Formatter.SetPreferredMimeTypesFor(typeof(string), PlainTextFormatter.MimeType);
        var csharp = new CSharpKernel()
            .UseNugetDirective((k, resolved) =>
            {
                k.AddAssemblyReferences(resolved.SelectMany(r => r.AssemblyPaths));
                return Task.CompletedTask;
            })
            .UseKernelHelpers()
            .UseValueSharing();
        var kernel = new CompositeKernel { csharp };
        kernel.DefaultKernelName = csharp.Name;
        NuGetKernelExtensions.LoadFromNuGetPackages(kernel);
        return kernel;
    }

    static string Source(JsonObject cell) => cell["source"] switch
    {
        JsonArray lines => string.Concat(lines.Select(l => (string?)l)),
        JsonValue v => (string?)v ?? "",
        _ => "",
    };

    /// <summary>
    /// Replaces `name = value;` assignments in the cell tagged "parameters" (or appends `var name = value;` when the
    /// name is not assigned there). Values are C# expressions, e.g. "12" or "\"../runs/test\"".
    /// </summary>
    public static void ApplyOverrides(string notebookPath, IEnumerable<JsonObject> codeCells,
                                      IReadOnlyDictionary<string, string> overrides)
    {
        var parameters = codeCells.FirstOrDefault(c =>
            c["metadata"]?["tags"] is JsonArray tags && tags.Any(t => (string?)t == "parameters"))
            ?? throw new InvalidDataException($"{notebookPath}: overrides given but no code cell is tagged \"parameters\"");
        string source = Source(parameters);
        foreach (var (name, value) in overrides)
        {
            var assignment = new Regex($@"^(?<head>[^\S\n]*(?:[\w<>?,\[\]. ]+[^\S\n]+)?{Regex.Escape(name)}[^\S\n]*=[^\S\n]*)(?<value>[^;\n]*);",
                                       RegexOptions.Multiline);
            source = assignment.IsMatch(source)
                ? assignment.Replace(source, m => m.Groups["head"].Value + value + ";", 1)
                : source.TrimEnd('\n') + $"\nvar {name} = {value};\n";
        }
        var lines = new JsonArray();
        foreach (var line in Regex.Split(source, "(?<=\n)")) if (line.Length > 0) lines.Add(line);
        parameters["source"] = lines;
    }

    static void AddOutput(JsonArray outputs, KernelEvent e, List<string> errors)
    {
        switch (e)
        {
            case CommandFailed failed:
                errors.Add(failed.Message + (failed.Exception is { } ex ? "\n" + ex : ""));
                outputs.Add(new JsonObject
                {
                    ["output_type"] = "error", ["ename"] = "Error", ["evalue"] = failed.Message,
                    ["traceback"] = new JsonArray(),
                });
                break;
            case ErrorProduced error:
                errors.Add(error.Message);
                break;
            case StandardOutputValueProduced o: AddStream(outputs, "stdout", o.FormattedValues); break;
            case StandardErrorValueProduced o: AddStream(outputs, "stderr", o.FormattedValues); break;
            case DisplayedValueUpdated updated:
                // As Jupyter (nbclient) does: an update replaces the output shown with the same display id, and an
                // update whose id matches no output is dropped. (In this dotnet-interactive build the `display(x)`
                // helper's handle has such an id; KernelInvocationContext.Current.Display(x)'s handle works.)
                var earlier = outputs.FirstOrDefault(o => (string?)o!["metadata"]?["display_id"] == updated.ValueId);
                if (earlier is not null) earlier["data"] = Data(updated.FormattedValues);
                break;
            case ReturnValueProduced r: outputs.Add(Display("execute_result", r.FormattedValues, r.ValueId)); break;
            case DisplayEvent d: outputs.Add(Display("display_data", d.FormattedValues, d.ValueId)); break;
        }
    }

    static void AddStream(JsonArray outputs, string name, IReadOnlyCollection<FormattedValue> values) =>
        outputs.Add(new JsonObject
        {
            ["output_type"] = "stream", ["name"] = name,
            ["text"] = string.Concat(values.Select(v => v.Value)),
        });

    static JsonObject Display(string type, IReadOnlyCollection<FormattedValue> values, string? id)
    {
        var output = new JsonObject
        {
            ["output_type"] = type,
            ["data"] = Data(values),
            ["metadata"] = id is null ? new JsonObject() : new JsonObject { ["display_id"] = id },
        };
        if (type == "execute_result") output["execution_count"] = 1;
        return output;
    }

    static JsonObject Data(IReadOnlyCollection<FormattedValue> values)
    {
        var data = new JsonObject();
        foreach (var v in values) data[v.MimeType] = v.Value;
        return data;
    }
}
