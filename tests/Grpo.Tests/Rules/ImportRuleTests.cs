// Keeps docs/architecture.md true: every file in lib/<Folder>/ is in namespace Grpo.<Folder>, and names only the
// project folders that the document's table lets <Folder> import (using directives and Grpo.X. qualified names).
using System.Text.RegularExpressions;
using Xunit;

namespace Grpo.Tests.Rules;

public partial class ImportRuleTests
{
    /// <summary>folder -> the folders it may import, read from the table in docs/architecture.md.</summary>
    public static IReadOnlyDictionary<string, IReadOnlySet<string>> Rules(string markdown)
    {
        var rules = new Dictionary<string, IReadOnlySet<string>>();
        foreach (Match m in RuleRow().Matches(markdown))
        {
            var allowed = m.Groups["allowed"].Value.Trim();
            rules[m.Groups["folder"].Value] = allowed == "(nothing)" ? new HashSet<string>()
                : allowed.Split(',', StringSplitOptions.TrimEntries).ToHashSet();
        }
        return rules;
    }

    // | Training | what it holds | Files, Torch, Model |
    [GeneratedRegex(@"^\| (?<folder>[A-Z]\w*) \| [^|]+ \| (?<allowed>[^|]+) \|\s*$", RegexOptions.Multiline)]
    private static partial Regex RuleRow();

    // using Grpo.X; using static Grpo.X.Y; using A = Grpo.X.Y; global using Grpo.X; and Grpo.X.Name in code.
    [GeneratedRegex(@"\bGrpo\.(?<folder>[A-Z]\w*)\b")]
    private static partial Regex ProjectName();

    [GeneratedRegex(@"^\s*namespace\s+(?<ns>[\w.]+)", RegexOptions.Multiline)]
    private static partial Regex NamespaceLine();

    /// <summary>Code without comments and string literals, so that prose naming a folder is not an import.</summary>
    static string CodeOnly(string source) =>
        Regex.Replace(source, @"//[^\n]*|/\*.*?\*/|@""(?:[^""]|"""")*""|""(?:\\.|[^""\\\n])*""", "", RegexOptions.Singleline);

    /// <summary>Every breach of the rules in (path relative to the repository, source) pairs under lib/.</summary>
    public static IReadOnlyList<string> Violations(IEnumerable<(string Path, string Source)> files,
        IReadOnlyDictionary<string, IReadOnlySet<string>> rules)
    {
        var problems = new List<string>();
        foreach (var (path, source) in files)
        {
            var parts = path.Replace('\\', '/').Split('/');
            if (parts.Length < 3 || parts[0] != "lib") continue;   // lib/*.cs: the root namespace, open to all
            var folder = parts[1];
            if (!rules.TryGetValue(folder, out var allowed))
            {
                problems.Add($"{path}: folder {folder} is not in the table of docs/architecture.md");
                continue;
            }
            var code = CodeOnly(source);
            foreach (Match ns in NamespaceLine().Matches(code))
                if (ns.Groups["ns"].Value != "Grpo." + folder && !ns.Groups["ns"].Value.StartsWith($"Grpo.{folder}.", StringComparison.Ordinal))
                    problems.Add($"{path}: namespace {ns.Groups["ns"].Value} is not Grpo.{folder}");
            // Only folder names count: Grpo.Seed in PipelineConfig is its property Grpo (a GrpoConfig), not a namespace.
            foreach (var used in ProjectName().Matches(code).Select(m => m.Groups["folder"].Value).Where(rules.ContainsKey).Distinct())
                if (used != folder && !allowed.Contains(used))
                    problems.Add($"{path}: {folder} imports {used} (docs/architecture.md allows {(allowed.Count == 0 ? "nothing" : string.Join(", ", allowed))})");
        }
        return problems;
    }

    static IReadOnlyDictionary<string, IReadOnlySet<string>> DocumentRules() =>
        Rules(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "docs", "architecture.md")));

    [Fact]
    public void Lib_folders_import_only_what_docs_architecture_allows()
    {
        var root = TestPaths.RepoRoot;
        var files = Directory.EnumerateFiles(Path.Combine(root, "lib"), "*.cs", SearchOption.AllDirectories)
            .Select(f => (Path.GetRelativePath(root, f), File.ReadAllText(f))).ToList();
        Assert.True(files.Count > 50, $"only {files.Count} files under lib/");
        var problems = Violations(files, DocumentRules());
        Assert.True(problems.Count == 0, "imports docs/architecture.md does not allow:\n" + string.Join("\n", problems));
    }

    [Fact]
    public void The_table_names_every_lib_folder_and_only_folders_it_names()
    {
        var rules = DocumentRules();
        var folders = Directory.GetDirectories(Path.Combine(TestPaths.RepoRoot, "lib")).Select(Path.GetFileName).ToHashSet();
        Assert.Equal(folders.Order(), rules.Keys.Order());
        foreach (var (folder, allowed) in rules)
            Assert.True(allowed.All(rules.ContainsKey), $"{folder} may import an unknown folder: {string.Join(", ", allowed)}");
    }

    [Fact]
    public void The_allowed_imports_have_no_cycle()
    {
        var rules = DocumentRules();
        var visiting = new HashSet<string>();
        var done = new HashSet<string>();
        void Visit(string folder, string path)
        {
            if (done.Contains(folder)) return;
            Assert.True(visiting.Add(folder), $"cycle: {path}");
            foreach (var next in rules[folder]) Visit(next, $"{path} -> {next}");
            visiting.Remove(folder);
            done.Add(folder);
        }
        foreach (var folder in rules.Keys) Visit(folder, folder);
    }

    [Theory]
    [InlineData("lib/Model/Positions.cs", "using Grpo.Training;\nnamespace Grpo.Model;", "Model imports Training")]
    [InlineData("lib/Countdown/X.cs", "using static Grpo.Model.Generator;\nnamespace Grpo.Countdown;", "Countdown imports Model")]
    [InlineData("lib/Training/X.cs", "namespace Grpo.Training;\nclass A { object p = new Grpo.Countdown.CountdownProblem([1], 1); }", "Training imports Countdown")]
    [InlineData("lib/Training/X.cs", "using P = Grpo.Pipeline.CountdownRun;\nnamespace Grpo.Training;", "Training imports Pipeline")]
    [InlineData("lib/Training/X.cs", "namespace Grpo.Countdown;", "namespace Grpo.Countdown is not Grpo.Training")]
    [InlineData("lib/Files/X.cs", "namespace Grpo.Files;", null)]
    [InlineData("lib/Training/X.cs", "// uses Grpo.Countdown.CountdownProblem in a comment\nnamespace Grpo.Training;\nclass A { string s = \"Grpo.Countdown.X\"; }", null)]
    [InlineData("lib/Training/Lora/X.cs", "using Grpo.Model;\nnamespace Grpo.Training.Lora;", null)]
    public void The_check_catches_each_way_of_naming_a_forbidden_folder(string path, string source, string? expected)
    {
        var problems = Violations([(path, source)], DocumentRules());
        if (expected is null) Assert.Empty(problems);
        else Assert.Contains(problems, p => p.Contains(expected));
    }
}
