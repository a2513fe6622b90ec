// Keeps docs/architecture.md true: every file in lib/<Folder>/ is in namespace Grpo.<Folder> and uses only symbols of
// the project folders the document's table lets <Folder> import. The symbols are the ones Roslyn's semantic model binds
// each name to, so every way of naming one counts (a using, an alias, a global using in another file, a fully or partly
// qualified name, an extension method). No `using Grpo.…` in lib/ or cli/ goes unused: it would draw an arrow
// the code does not have.
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
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

    /// <summary>Every breach of the rules in the compilation's files under lib/ (the folder rule) and cli/ (no unused
    /// project using), with paths relative to <paramref name="repoRoot"/> ("" when the paths are relative already).</summary>
    public static IReadOnlyList<string> Violations(CSharpCompilation compilation, string repoRoot,
        IReadOnlyDictionary<string, IReadOnlySet<string>> rules)
    {
        var problems = new List<string>();
        foreach (var tree in compilation.SyntaxTrees)
        {
            var path = repoRoot == "" ? tree.FilePath : Path.GetRelativePath(repoRoot, tree.FilePath).Replace('\\', '/');
            var parts = path.Split('/');
            if (parts[0] is not ("lib" or "cli")) continue;   // the scan's own global usings
            var model = compilation.GetSemanticModel(tree);
            var root = tree.GetRoot();
            string Where(SyntaxNode node) => $"{path}:{node.GetLocation().GetLineSpan().StartLinePosition.Line + 1}";

            foreach (var unused in model.GetDiagnostics().Where(d => d.Id == UnnecessaryUsing))
                if (root.FindNode(unused.Location.SourceSpan).FirstAncestorOrSelf<UsingDirectiveSyntax>() is { } u
                    && ProjectFolder(u.NamespaceOrType.ToString()) is not null)
                    problems.Add($"{Where(u)}: unused `{u.ToString().Trim()}` (draws an import the code does not have)");

            if (parts[0] != "lib" || parts.Length < 3) continue;   // lib/*.cs: the root namespace, open to all
            var folder = parts[1];
            if (!rules.TryGetValue(folder, out var allowed))
            {
                problems.Add($"{path}: folder {folder} is not in the table of docs/architecture.md");
                continue;
            }
            foreach (var ns in root.DescendantNodes().OfType<BaseNamespaceDeclarationSyntax>().Select(n => n.Name.ToString()))
                if (ns != "Grpo." + folder && !ns.StartsWith($"Grpo.{folder}.", StringComparison.Ordinal))
                    problems.Add($"{path}: namespace {ns} is not Grpo.{folder}");

            string allows = allowed.Count == 0 ? "nothing" : string.Join(", ", allowed);
            var reported = new HashSet<string>();
            foreach (var (node, symbol) in ReferencedSymbols(root, model, compilation))
            {
                var used = ProjectFolder(NamespaceOf(symbol));
                if (used is null || used == folder || allowed.Contains(used) || !reported.Add(used)) continue;
                problems.Add($"{Where(node)}: {folder} uses {used} ({symbol.ToDisplayString()}); docs/architecture.md lets {folder} import {allows}");
            }
        }
        return problems;
    }

    // "Unnecessary using directive", reported (hidden) by the semantic model for a using that binds no name in its file.
    const string UnnecessaryUsing = "CS8019";

    /// <summary>Each name in the file with the project symbol it binds to: the code's first, so that a breach is shown
    /// where it is used, then the using directives' (one that names a forbidden folder is a breach even if unused).</summary>
    static IEnumerable<(SyntaxNode Node, ISymbol Symbol)> ReferencedSymbols(SyntaxNode root, SemanticModel model, Compilation compilation) =>
        root.DescendantNodes().OfType<NameSyntax>().OrderBy(n => n.FirstAncestorOrSelf<UsingDirectiveSyntax>() is not null)
            .Select(n => (Node: (SyntaxNode)n, Symbol: model.GetSymbolInfo(n).Symbol ?? model.GetSymbolInfo(n).CandidateSymbols.FirstOrDefault()))
            .Where(r => r.Symbol is INamespaceSymbol || SymbolEqualityComparer.Default.Equals(r.Symbol?.ContainingAssembly, compilation.Assembly))
            .Select(r => (r.Node, r.Symbol!));

    static string NamespaceOf(ISymbol symbol) =>
        (symbol as INamespaceSymbol ?? symbol.ContainingNamespace)?.ToDisplayString() ?? "";

    /// <summary>X of a namespace Grpo.X or Grpo.X.Y; null for Grpo itself and anything outside the project.</summary>
    static string? ProjectFolder(string ns) =>
        ns.Split('.') is ["Grpo", var folder, ..] && folder.Length > 0 && char.IsUpper(folder[0]) && folder != "Tests" ? folder : null;

    static IReadOnlyDictionary<string, IReadOnlySet<string>> DocumentRules() =>
        Rules(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "docs", "architecture.md")));

    [Fact]
    public void Lib_folders_use_only_what_docs_architecture_allows_and_no_project_using_is_unused()
    {
        var (lib, cli) = ScalarTemporaryScan.CompileRepository(TestPaths.RepoRoot);
        Assert.True(lib.SyntaxTrees.Count() > 50, $"only {lib.SyntaxTrees.Count()} files under lib/");
        var problems = Violations(lib, TestPaths.RepoRoot, DocumentRules()).Concat(Violations(cli, TestPaths.RepoRoot, DocumentRules())).ToList();
        Assert.True(problems.Count == 0, "imports docs/architecture.md does not allow, or project usings nothing uses:\n" + string.Join("\n", problems));
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

    // Stand-ins for the folders the planted files name.
    static readonly (string Path, string Code)[] Folders =
    [
        ("lib/Model/Generator.cs", "namespace Grpo.Model; public static class Generator { public static int Greedy() => 1; }"),
        ("lib/Countdown/CountdownProblem.cs", "namespace Grpo.Countdown; public sealed class CountdownProblem { }\n" +
            "public static class Scoring { public static int Score(this string s) => s.Length; }"),
        ("lib/Training/GrpoConfig.cs", "namespace Grpo.Training; public sealed class GrpoConfig { }"),
        ("lib/Pipeline/CountdownRun.cs", "namespace Grpo.Pipeline; public sealed class CountdownRun { }"),
    ];

    static IReadOnlyList<string> PlantedViolations(params (string Path, string Code)[] planted) =>
        Violations(ScalarTemporaryScan.CompileSources([.. Folders, .. planted]), "", DocumentRules());

    [Theory]
    [InlineData("lib/Model/X.cs", "using Grpo.Training;\nnamespace Grpo.Model;\nclass A { GrpoConfig? c; }", "lib/Model/X.cs:3: Model uses Training (Grpo.Training.GrpoConfig)")]
    [InlineData("lib/Countdown/X.cs", "using static Grpo.Model.Generator;\nnamespace Grpo.Countdown;\nclass A { int g = Greedy(); }", "Countdown uses Model")]
    [InlineData("lib/Training/X.cs", "namespace Grpo.Training;\nclass A { object p = new Grpo.Countdown.CountdownProblem(); }", "Training uses Countdown")]
    [InlineData("lib/Training/X.cs", "namespace Grpo.Training;\nclass A { object p = new Countdown.CountdownProblem(); }", "Training uses Countdown")]
    [InlineData("lib/Training/X.cs", "using P = Grpo.Pipeline.CountdownRun;\nnamespace Grpo.Training;\nclass A { P? p; }", "Training uses Pipeline")]
    [InlineData("lib/Training/X.cs", "namespace Grpo.Countdown;", "namespace Grpo.Countdown is not Grpo.Training")]
    [InlineData("lib/Training/X.cs", "using Grpo.Model;\nnamespace Grpo.Training;\nclass A { }", "lib/Training/X.cs:1: unused `using Grpo.Model;`")]
    [InlineData("cli/X.cs", "using Grpo.Pipeline;\nnamespace Grpo.Cli;\nclass A { }", "cli/X.cs:1: unused `using Grpo.Pipeline;`")]
    [InlineData("lib/Files/X.cs", "namespace Grpo.Files;", null)]
    [InlineData("lib/Training/X.cs", "// uses Grpo.Countdown.CountdownProblem in a comment\nnamespace Grpo.Training;\nclass A { string s = \"Grpo.Countdown.X\"; }", null)]
    [InlineData("lib/Training/Lora/X.cs", "using Grpo.Model;\nnamespace Grpo.Training.Lora;\nclass A { int g = Generator.Greedy(); }", null)]
    public void The_check_catches_each_way_of_naming_a_forbidden_folder(string path, string source, string? expected)
    {
        var problems = PlantedViolations((path, source));
        if (expected is null) Assert.Empty(problems);
        else Assert.Contains(problems, p => p.Contains(expected));
    }

    [Fact]
    public void A_global_using_in_an_allowed_folder_does_not_let_another_folder_use_it()
    {
        var problems = PlantedViolations(
            ("lib/Pipeline/Usings.cs", "global using Grpo.Countdown;\nnamespace Grpo.Pipeline;"),
            ("lib/Training/X.cs", "namespace Grpo.Training;\nclass A { CountdownProblem? p; int n = \"x\".Score(); }"));
        // One breach per folder used, shown where it is first named; the global using itself is Pipeline's to have.
        Assert.StartsWith("lib/Training/X.cs:2: Training uses Countdown (Grpo.Countdown.CountdownProblem); docs/architecture.md lets Training import Files,",
            Assert.Single(problems));
    }

    [Fact]
    public void An_extension_method_through_a_global_using_counts_as_a_use_of_its_folder()
    {
        var problems = PlantedViolations(
            ("lib/Pipeline/Usings.cs", "global using Grpo.Countdown;\nnamespace Grpo.Pipeline;"),
            ("lib/Training/X.cs", "namespace Grpo.Training;\nclass A { int n = \"x\".Score(); }"));
        Assert.Contains("lib/Training/X.cs:2: Training uses Countdown", Assert.Single(problems));
    }
}
