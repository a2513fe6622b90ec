// report.html from a crafted run: every string from the run's files (checkpoint labels, run name, config values,
// completions, aha phrases) is encoded for where it lands, so none can close a tag or a <script> block. The encoder
// is the guarantee (unit tests below); headless Chromium loading the page is the proof that nothing injected runs.
using System.Diagnostics;
using System.Text.Json.Nodes;
using Grpo.Training;
using Grpo.Notebook;
using Grpo.Reports;
using Xunit;

namespace Grpo.Tests.BadInput;

public sealed class ReportInjectionTests : IDisposable
{
    // Each payload, if it ever ran, would add an element whose id is only formed at run time ('inj' + 'ected-N').
    static string Payload(int n) => $"c</script><script>document.body.appendChild(Object.assign(document.createElement('p'),{{id:'inj'+'ected-{n}'}}))</script><img src=x onerror=\"this.id='inj'+'ected-{n}b'\">";

    readonly string root = Directory.CreateTempSubdirectory("grpo-report-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void Html_text_and_attribute_encoding_escape_markup()
    {
        Assert.Equal("&lt;/script&gt;&lt;b a=&quot;1&quot; c=&#39;2&#39;&gt;&amp;", HtmlEncoding.Text("</script><b a=\"1\" c='2'>&"));
        Assert.Equal("x&quot; onload=&quot;alert(1)", HtmlEncoding.Attribute("x\" onload=\"alert(1)"));
    }

    [Fact]
    public void Json_for_a_script_block_cannot_close_it_open_a_comment_or_break_a_line()
    {
        var json = HtmlEncoding.ScriptJson(new JsonObject { ["x"] = "</script><!--<script>\u2028\u2029&'" });
        Assert.DoesNotContain("<", json);
        Assert.DoesNotContain(">", json);
        Assert.DoesNotContain("\u2028", json);
        Assert.DoesNotContain("\u2029", json);
        Assert.Equal("</script><!--<script>\u2028\u2029&'", JsonNode.Parse(json)!["x"]!.GetValue<string>());   // same value
        Assert.Equal("a<\\/SCRIPT>b<\\!--", HtmlEncoding.ScriptSource("a</SCRIPT>b<!--"));
    }

    /// <summary>A run folder whose name, eval labels, config, samples and aha file all carry payloads.</summary>
    string CraftedRun()
    {
        var run = Directory.CreateDirectory(Path.Combine(root, "run<script>x")).FullName;
        var eval = Directory.CreateDirectory(Path.Combine(run, "eval")).FullName;
        // A base eval and two labelled with payloads, each holding problem 0 with a payload generation (the summary, the
        // behaviour tables and the same-problem table show them); the last one solves it.
        JsonArray Record(int n, int score) => [new JsonObject
        {
            ["test_id"] = 0, ["score"] = score, ["prompt"] = "p", ["nums"] = new JsonArray(1, 2), ["generation"] = Payload(n),
            ["gen_calculation"] = null, ["target"] = 3, ["format_reward"] = 0,
        }];
        for (int i = 0; i < 3; i++)
            File.WriteAllText(Path.Combine(eval, $"c{i}.json"), new JsonObject
            {
                ["checkpoint"] = i == 2 ? "base" : Payload(i), ["step"] = i == 2 ? 0 : 10 + i * 10, ["model_dir"] = Payload(10 + i), ["num_problems"] = 1,
                ["accuracy"] = 0.5, ["format_rate"] = 0.5, ["sampled"] = null, ["records"] = Record(50 + i, i == 1 ? 1 : 0),
            }.ToJsonString());
        File.WriteAllText(Path.Combine(run, "metrics.jsonl"),
            $"{{\"step\":1,\"reward\":0.5}}\n{{\"step\":2,\"reward\":0.7,{JsonValue.Create("rewards/" + Payload(60) + "/mean").ToJsonString()}:0.5}}\n");
        File.WriteAllText(Path.Combine(run, "aha_counts.json"), new JsonArray(
            new JsonObject { ["source"] = Payload(70), ["step"] = 1, ["completions"] = 2, ["completions_with_hit"] = 1, ["hits"] = 1, ["recoveries"] = 0, ["per_phrase"] = new JsonObject() },
            new JsonObject { ["source"] = "eval/" + Payload(71), ["step"] = 0, ["completions"] = 2, ["completions_with_hit"] = 1, ["hits"] = 1, ["recoveries"] = 0, ["per_phrase"] = new JsonObject() })
            .ToJsonString());
        File.WriteAllText(Path.Combine(run, "config.json"), new JsonObject { ["output_dir"] = Payload(20) }.ToJsonString());
        var samples = Directory.CreateDirectory(Path.Combine(run, "completion_samples")).FullName;
        File.WriteAllText(Path.Combine(samples, "completion_samples.txt"),
            $"=== step 1 | nums [1, 2] | target 3 | reward 0.00 | format 0 | equation 0\n{Payload(30)}\n\n");
        File.WriteAllText(Path.Combine(run, "aha.jsonl"), new JsonObject
        {
            ["source"] = Payload(40), ["step"] = 1, ["phrase"] = Payload(41), ["context"] = Payload(42), ["correct"] = false, ["test_id"] = null,
        }.ToJsonString() + "\n");
        return run;
    }

    [Fact]
    public void Crafted_strings_reach_the_report_only_encoded()
    {
        var html = RunReport.Build(new RunFolder(CraftedRun()));
        foreach (var n in new[] { 0, 1, 10, 11, 20, 30, 40, 41, 42, 50, 51, 52, 60, 70, 71 })
            Assert.DoesNotContain($"{{id:'inj'+'ected-{n}'}}))</script>", html);
        Assert.DoesNotContain("<img src=x", html);
        Assert.DoesNotContain("run<script>x", html);
        Assert.Contains("c\\u003C/script\\u003E", html);       // the chart label, escaped inside its <script>
        Assert.Contains("c&lt;/script&gt;&lt;script&gt;", html); // the table cell, escaped as text
        // Every new section saw its payloads: summary, same-problem table, smoothed curves, base-rate table.
        Assert.Contains("the base model and c&lt;/script&gt;", html);
        Assert.Contains("wrong → right", html);
        Assert.Contains("ected-51", html);
        Assert.Contains("ected-60", html);
        Assert.Contains("ected-70", html);
    }

    [ChromiumFact]
    public void Headless_chromium_runs_the_charts_of_a_crafted_report_but_nothing_injected()
    {
        var path = RunReport.Write(new RunFolder(CraftedRun()));
        var dom = ChromiumFact.DumpDom(path, Path.Combine(root, "profile"));
        Assert.Contains("class=\"main-svg\"", dom);         // plotly drew the charts: the page's own scripts ran
        Assert.DoesNotContain("injected-", dom);            // no payload's script or event handler did
    }
}

/// <summary>A test that needs headless Chromium (Debian: apt-get install chromium); skipped, saying so, without it.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (ChromiumFact.Executable is null) Skip = "chromium is not installed (apt-get install -y chromium); .ci/run installs it";
    }
}

public static class ChromiumFact
{
    public static string? Executable { get; } = new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome" }
        .FirstOrDefault(File.Exists);

    /// <summary>Loads a local page in headless Chromium (no network, fresh profile) and returns the DOM after its scripts ran.</summary>
    public static string DumpDom(string htmlPath, string profileDir)
    {
        var start = new ProcessStartInfo(Executable!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     $"--user-data-dir={profileDir}", "--virtual-time-budget=5000", "--dump-dom", new Uri(htmlPath).AbsoluteUri })
            start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        _ = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(2))) { p.Kill(entireProcessTree: true); Assert.Fail("chromium did not finish"); }
        return stdout.Result;
    }
}
