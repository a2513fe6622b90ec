// What a user sees offline: Jupyter's nbconvert turns an executed notebook into its HTML page, and headless Chromium
// with every network request failing opens it, runs its scripts and returns the DOM, where drawn charts have an SVG.
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Grpo.Notebooks.Tests;

/// <summary>Charts in a page: how many outputs asked Plotly to draw, which drew (an SVG inside the plot div).</summary>
public sealed record ChartCheck(int Expected, int Drawn, string Console)
{
    public string Describe() => $"{Drawn} of {Expected} charts drew an SVG offline\n--- browser console ---\n{Console}";
}

public static partial class OfflineBrowser
{
    public static string? Chromium { get; } = Find("chromium", "chromium-browser", "google-chrome");

    /// <summary>How long nbconvert or Chromium may take before it counts as hung: a page with plotly.js inlined takes
    /// seconds, but minutes on a machine busy with other jobs.</summary>
    static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(5);
    public static string? NbConvert { get; } = Find("jupyter-nbconvert");

    /// <summary>Null when both tools are installed, else what to install (CI installs both: .ci/run).</summary>
    public static string? MissingTools =>
        Chromium is not null && NbConvert is not null ? null
            : $"needs {(Chromium is null ? "chromium " : "")}{(NbConvert is null ? "jupyter-nbconvert " : "")}(Debian: apt-get install chromium jupyter-nbconvert)";

    /// <summary>nbconvert's HTML export of an executed notebook (what a user opens or shares); returns its path.</summary>
    public static string ExportHtml(string executedNotebook, string outDir)
    {
        Directory.CreateDirectory(outDir);
        var name = Path.GetFileNameWithoutExtension(executedNotebook);
        var (code, output) = Run(NbConvert!, ["--to", "html", "--output-dir", outDir, "--output", name, executedNotebook], HangGuard);
        var html = Path.Combine(outDir, name + ".html");
        if (code != 0 || !File.Exists(html)) throw new InvalidOperationException($"nbconvert failed ({code}):\n{output}");
        return html;
    }

    /// <summary>Opens the page in headless Chromium with the network blocked (every host name fails to resolve and
    /// the proxy points at a closed local port), lets its scripts and timers run, and returns the DOM and the console.</summary>
    public static (string Dom, string Console) OpenOffline(string htmlPath)
    {
        var profile = Directory.CreateTempSubdirectory("grpo-chromium-").FullName;
        try
        {
            var (code, output) = Run(Chromium!,
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                $"--user-data-dir={profile}", "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
                "--enable-logging=stderr", "--v=0", "--virtual-time-budget=15000", "--dump-dom",
                new Uri(Path.GetFullPath(htmlPath)).AbsoluteUri,
            ], HangGuard, splitStreams: true);
            var dom = output.Stdout;
            if (code != 0 || !dom.Contains("</html>")) throw new InvalidOperationException($"chromium failed ({code}):\n{output.Stderr}");
            var console = string.Join("\n", output.Stderr.Split('\n').Where(l => l.Contains("CONSOLE")));
            return (dom, console);
        }
        finally { Directory.Delete(profile, recursive: true); }
    }

    /// <summary>Counts the plot divs Plotly set up (class js-plotly-plot) that hold an SVG before their own script,
    /// against <paramref name="expected"/> chart outputs.</summary>
    public static ChartCheck CheckCharts(string dom, string console, int expected)
    {
        int drawn = 0;
        foreach (Match m in PlotDiv().Matches(dom))
        {
            int end = dom.IndexOf("<script", m.Index, StringComparison.Ordinal);
            if (dom.AsSpan(m.Index, (end < 0 ? dom.Length : end) - m.Index).Contains("class=\"main-svg\"", StringComparison.Ordinal)) drawn++;
        }
        return new ChartCheck(expected, drawn, console);
    }

    // require.js (classic Jupyter, and nbconvert pages that reach its CDN) makes a bare anonymous define() throw.
    const string AmdLoader =
        "<script>window.define = function () { throw new Error('Mismatched anonymous define() module'); }; window.define.amd = {};</script>";

    /// <summary>A copy of the page with an AMD loader in its head (as classic Jupyter has); returns the copy's path.</summary>
    public static string WithAmdLoader(string htmlPath)
    {
        var html = File.ReadAllText(htmlPath);
        int head = html.IndexOf("<head>", StringComparison.Ordinal);
        if (head < 0) throw new InvalidDataException($"{htmlPath}: no <head>");
        var path = Path.ChangeExtension(htmlPath, ".amd.html");
        File.WriteAllText(path, html.Insert(head + "<head>".Length, AmdLoader));
        return path;
    }

    /// <summary>An executed notebook's charts as a user sees them offline: its nbconvert HTML export opened with the
    /// network blocked, plain and with an AMD loader on the page. Expected: the notebook's chart outputs.</summary>
    public static (ChartCheck Plain, ChartCheck WithAmd) CheckExecutedNotebook(string executedPath, string htmlDir)
    {
        var executed = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(executedPath))!.AsObject();
        int expected = ChartOutputs(new NotebookRun(0, "", "", executed, TimeSpan.Zero));
        var html = ExportHtml(executedPath, htmlDir);
        ChartCheck Open(string page)
        {
            var (dom, console) = OpenOffline(page);
            return CheckCharts(dom, console, expected);
        }
        return (Open(html), Open(WithAmdLoader(html)));
    }

    /// <summary>Outputs that ask Plotly to draw a chart (Plotly.NET.Interactive's and this project's formatter both
    /// do), not counting the output that carries plotly.js itself (its source mentions Plotly.newPlot too).</summary>
    public static int ChartOutputs(NotebookRun run) =>
        run.Data("text/html").Count(h => h.Contains("Plotly.newPlot(") && !h.Contains("* plotly.js v"));

    [GeneratedRegex("<div[^>]*\\sclass=\"[^\"]*\\bjs-plotly-plot\\b")]
    private static partial Regex PlotDiv();

    static string? Find(params string[] names) =>
        names.Select(n => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, n)).FirstOrDefault(File.Exists))
            .FirstOrDefault(p => p is not null);

    static (int Code, string Output) Run(string exe, IEnumerable<string> args, TimeSpan timeout)
    {
        var (code, o) = Run(exe, args, timeout, splitStreams: false);
        return (code, o.Stdout + o.Stderr);
    }

    static (int Code, (string Stdout, string Stderr) Output) Run(string exe, IEnumerable<string> args, TimeSpan timeout, bool splitStreams)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{exe} did not finish in {timeout.TotalSeconds:F0} s");
        }
        process.WaitForExit();
        return (process.ExitCode, (stdout.Result, stderr.Result));
    }
}
