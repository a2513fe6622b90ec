// The runner itself: a notebook's DataFrames and Plotly charts come out formatted, TorchSharp loads from the
// published library, failures and empty notebooks fail, and parameter overrides land in the parameters cell.
using System.Text.Json.Nodes;
using Xunit;

namespace Grpo.Notebooks.Tests;

[Collection("notebooks")] // one notebook process at a time: the machine has two cores
public sealed class RunnerTests
{
    /// <summary>Fixtures reference "../publish/Grpo.Lib.dll", so they run from a folder beside artifacts/publish.</summary>
    static string Fixture(string name)
    {
        var target = Path.Combine(NotebookProcess.WorkDir, name);
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Fixtures", name), target, overwrite: true);
        return target;
    }

    [Fact]
    public void Smoke_notebook_loads_torch_and_formats_a_DataFrame_table_and_an_updated_Plotly_chart()
    {
        var run = NotebookProcess.Run(Fixture("smoke.ipynb"), new Dictionary<string, string> { ["n"] = "5" });
        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.Contains("libtorch: 1+2 = 3, n = 5", run.Streams());
        var html = run.Data("text/html").ToList();
        Assert.Contains(html, h => h.Contains("<table") && h.Contains("<pre>5</pre>")); // the DataFrame's rows 1..n
        // The display handle's Update replaced the first chart: its data is the updated trace.
        var charts = html.Where(h => h.Contains("Plotly.newPlot") || h.Contains("plotly")).ToList();
        Assert.Single(charts, h => h.Contains("\"updated\""));
        Assert.DoesNotContain(charts, h => h.Contains("\"y\":[3,4]"));
    }

    [Fact]
    public void Notebook_without_code_cells_fails()
    {
        var run = NotebookProcess.Run(Fixture("empty.ipynb"));
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("no code cells", run.Errors);
    }

    [Fact]
    public void Failing_cell_fails_the_run_with_its_source_and_error()
    {
        var run = NotebookProcess.Run(Fixture("failing.ipynb"));
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("cell 2 failed", run.Errors);
        Assert.Contains("throw new InvalidOperationException(\"boom from cell two\");", run.Errors);
        Assert.Contains("InvalidOperationException: boom from cell two", run.Errors);
        Assert.DoesNotContain("never runs", run.Output);
    }

    [Fact]
    public void Overrides_replace_assignments_in_the_parameters_cell_and_append_new_ones()
    {
        var cell = new JsonObject
        {
            ["cell_type"] = "code",
            ["metadata"] = new JsonObject { ["tags"] = new JsonArray("parameters") },
            ["source"] = new JsonArray("var steps = 200;      // GRPO steps\n", "string modelDir = \"../data/models/x\";\n", "var maxSteps = 9;"),
        };
        NotebookRunner.ApplyOverrides("test.ipynb", [cell], new Dictionary<string, string>
        {
            ["steps"] = "3", ["modelDir"] = "\"/tmp/m\"", ["seed"] = "7",
        });
        var source = string.Concat(cell["source"]!.AsArray().Select(l => (string?)l));
        Assert.Equal("var steps = 3;      // GRPO steps\nstring modelDir = \"/tmp/m\";\nvar maxSteps = 9;\nvar seed = 7;\n", source);
    }

    [Fact]
    public void Overrides_without_a_parameters_cell_name_the_notebook()
    {
        var cell = new JsonObject { ["cell_type"] = "code", ["metadata"] = new JsonObject(), ["source"] = "var a = 1;" };
        var e = Assert.Throws<InvalidDataException>(() =>
            NotebookRunner.ApplyOverrides("x.ipynb", [cell], new Dictionary<string, string> { ["a"] = "2" }));
        Assert.Contains("x.ipynb", e.Message);
    }
}
