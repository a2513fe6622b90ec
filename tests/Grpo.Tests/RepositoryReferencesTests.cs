// Everything the project points a reader at must be in the repository: a clone has no ../shared next to it (where
// the design notes and reference data once lived). Checks README.md, docs/, the tiny model card, lib/, cli/ and tests/.
using System.Text.RegularExpressions;
using Grpo.Evaluation;
using Xunit;

namespace Grpo.Tests;

public class RepositoryReferencesTests
{
    static readonly Regex OutsideDocument = new(@"design §|design\.md|\.\./shared|shared/reference|HELPERS\.md");
    static readonly Regex MarkdownLink = new(@"\]\(([^)\s#]+)(#[^)]*)?\)");
    static readonly Regex DocsPath = new(@"docs/[\w.-]+\.md");

    static IEnumerable<string> Sources()
    {
        var root = TestPaths.RepoRoot;
        IEnumerable<string> Under(string dir, string pattern) => Directory.Exists(Path.Combine(root, dir))
            ? Directory.EnumerateFiles(Path.Combine(root, dir), pattern, SearchOption.AllDirectories) : [];
        return new[] { Path.Combine(root, "README.md"), Path.Combine(root, "data", "models", "countdown-tiny", "README.md") }
            .Concat(Under("docs", "*.md")).Concat(Under("lib", "*.cs")).Concat(Under("cli", "*.cs")).Concat(Under("tests", "*.cs"))
            .Where(File.Exists)
            .Where(f => !Regex.IsMatch(f, @"[/\\](bin|obj)[/\\]"))
            .Where(f => Path.GetFileName(f) != nameof(RepositoryReferencesTests) + ".cs");
    }

    [Fact]
    public void Docs_and_code_cite_no_document_outside_the_repository()
    {
        var hits = Sources().SelectMany(f => File.ReadLines(f).Select((line, i) => (f, i, line)))
            .Where(x => OutsideDocument.IsMatch(x.line))
            .Select(x => $"{Path.GetRelativePath(TestPaths.RepoRoot, x.f)}:{x.i + 1}: {x.line.Trim()}").ToList();
        Assert.True(hits.Count == 0, "points outside the repository:\n" + string.Join("\n", hits));
    }

    [Fact]
    public void Markdown_links_and_docs_paths_resolve_to_files_in_the_repository()
    {
        var missing = new List<string>();
        foreach (var file in Sources())
        {
            var text = File.ReadAllText(file);
            var where = Path.GetRelativePath(TestPaths.RepoRoot, file);
            if (file.EndsWith(".md"))
                foreach (Match m in MarkdownLink.Matches(text))
                {
                    var target = m.Groups[1].Value;
                    if (target.Contains("://") || target.StartsWith("mailto:")) continue;
                    var path = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, target));
                    if (!File.Exists(path) && !Directory.Exists(path)) missing.Add($"{where}: link {target}");
                }
            foreach (Match m in DocsPath.Matches(text))
                if (!File.Exists(Path.Combine(TestPaths.RepoRoot, m.Value))) missing.Add($"{where}: {m.Value}");
        }
        Assert.True(missing.Count == 0, "missing:\n" + string.Join("\n", missing));
    }

    [Fact]
    public void Default_eval_test_file_exists_in_the_repository() =>
        Assert.True(File.Exists(Path.Combine(TestPaths.RepoRoot, EvalConfig.Default.TestFile)), EvalConfig.Default.TestFile);
}
