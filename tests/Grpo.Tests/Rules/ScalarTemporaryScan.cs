// Finds every place in C# sources where a TorchSharp Scalar could be finalized while native code still reads it: a
// number converted to a Scalar on the spot, a Scalar made outside HeldScalars, or a call into a TorchSharp member that
// makes such a temporary inside itself (see TorchSharpScalarTemporaries). Works on Roslyn's semantic model.
using System.Collections.Immutable;
using Grpo.Torch;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Operations;

namespace Grpo.Tests.Rules;

public sealed record ScalarFinding(string File, int Line, string Code, string Problem);

public static class ScalarTemporaryScan
{
    /// <summary>The one file allowed to make Scalars (it holds them for the process or for a scope).</summary>
    public const string MechanismFile = "lib/Torch/HeldScalars.cs";

    const string Remedy = "hold the value instead: HeldScalars.Of(x) for a value fixed by model or config, " +
                          "scalars.Of(x) from `using var scalars = HeldScalars.NewScope()` for a per-step value, or a tensor operand";

    static readonly string[] GlobalUsings =
        ["System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Threading", "System.Threading.Tasks"];

    /// <summary>Compiles lib/ (as Grpo.Lib) and cli/ (as the CLI, referencing it) from the repository's sources and
    /// scans both. Throws if either does not compile: an unbound call could hide a conversion.</summary>
    public static IReadOnlyList<ScalarFinding> ScanRepository(string repoRoot)
    {
        var (lib, cli) = CompileRepository(repoRoot);
        return [.. Scan(lib, repoRoot), .. Scan(cli, repoRoot)];
    }

    /// <summary>lib/ compiled from the repository's sources as Grpo.Lib, and cli/ against it (for other rules' scans);
    /// compiled once per test run, as every rule reads the same sources.</summary>
    internal static (CSharpCompilation Lib, CSharpCompilation Cli) CompileRepository(string repoRoot) =>
        Compiled.GetOrAdd(Path.GetFullPath(repoRoot), root => new(() =>
        {
            var lib = Compile("Grpo.Lib", SourcesUnder(root, "lib"), OutputKind.DynamicallyLinkedLibrary, []);
            return (lib, Compile("grpo", SourcesUnder(root, "cli"), OutputKind.ConsoleApplication, [lib.ToMetadataReference()]));
        })).Value;

    static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<(CSharpCompilation, CSharpCompilation)>> Compiled = new();

    internal static CSharpCompilation CompileLibrary(string repoRoot) => CompileRepository(repoRoot).Lib;

    /// <summary>Source texts (path, code) compiled together as one library (for tests of a scan on planted code).</summary>
    internal static CSharpCompilation CompileSources(IEnumerable<(string Path, string Code)> sources) =>
        Compile("Scanned", sources.Select(s => Parse(s.Code, s.Path)), OutputKind.DynamicallyLinkedLibrary, []);

    /// <summary>Scans source texts (path, code) compiled together as one library; for tests of the scan itself.</summary>
    public static IReadOnlyList<ScalarFinding> ScanSources(IEnumerable<(string Path, string Code)> sources) =>
        Scan(Compile("Scanned", sources.Select(s => Parse(s.Code, s.Path)), OutputKind.DynamicallyLinkedLibrary, []), "").ToList();

    static IEnumerable<SyntaxTree> SourcesUnder(string repoRoot, string folder) =>
        Directory.EnumerateFiles(Path.Combine(repoRoot, folder), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            .Order(StringComparer.Ordinal)
            .Select(f => Parse(File.ReadAllText(f), f));

    static SyntaxTree Parse(string code, string path) =>
        CSharpSyntaxTree.ParseText(code, new CSharpParseOptions(LanguageVersion.Preview), path);

    // [GeneratedRegex] partial methods get their bodies from the SDK's source generator, which the scan does not run.
    const string GeneratedPartialMissing = "CS8795";

    static CSharpCompilation Compile(string name, IEnumerable<SyntaxTree> trees, OutputKind kind, MetadataReference[] extra)
    {
        var usings = CSharpSyntaxTree.ParseText(string.Join("\n", GlobalUsings.Select(u => $"global using {u};")),
            new CSharpParseOptions(LanguageVersion.Preview), "GlobalUsings.g.cs");
        var compilation = CSharpCompilation.Create(name, [usings, .. trees], [.. References.Value, .. extra],
            new CSharpCompilationOptions(kind, nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: true));
        var errors = compilation.GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Error && d.Id != GeneratedPartialMissing).ToList();
        if (errors.Count > 0)
            throw new InvalidOperationException($"{name} does not compile for the scan ({errors.Count} errors), e.g.:\n" +
                                                string.Join("\n", errors.Take(10)));
        return compilation;
    }

    // The runtime's assemblies and every assembly next to the tests (TorchSharp, the library's packages, Spectre.Console).
    static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
    {
        var platform = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var local = Directory.GetFiles(AppContext.BaseDirectory, "*.dll");
        return [.. platform.Concat(local)
            .Where(f => Path.GetFileName(f) is not ("Grpo.Lib.dll" or "grpo.dll" or "Grpo.Tests.dll"))   // compiled here from source
            .GroupBy(Path.GetFileName).Select(g => MetadataReference.CreateFromFile(g.First()))];
    });

    static IEnumerable<ScalarFinding> Scan(CSharpCompilation compilation, string repoRoot)
    {
        var operations = compilation.SyntaxTrees.Select(tree =>
        {
            var model = compilation.GetSemanticModel(tree);
            var path = repoRoot == "" ? tree.FilePath : Path.GetRelativePath(repoRoot, tree.FilePath).Replace('\\', '/');
            var roots = tree.GetRoot().DescendantNodesAndSelf()
                .Select(n => model.GetOperation(n)).Where(op => op is { Parent: null }).Distinct();
            return (Path: path, Operations: roots.SelectMany(r => r!.DescendantsAndSelf()).ToList());
        }).ToList();
        var made = TorchSharpTypesMade(operations.SelectMany(f => f.Operations));
        foreach (var (path, ops) in operations)
        foreach (var op in ops)
        foreach (var problem in Problems(op, path == MechanismFile, made))
        {
            var line = op.Syntax.GetLocation().GetLineSpan().StartLinePosition.Line + 1;
            yield return new ScalarFinding(path, line, op.Syntax.ToString(), problem);
        }
    }

    /// <summary>TorchSharp classes the code constructs or gets from a factory (Linear(...), Dropout(...)): a virtual
    /// call such as Module&lt;Tensor, Tensor&gt;.forward may run their overrides.</summary>
    static HashSet<INamedTypeSymbol> TorchSharpTypesMade(IEnumerable<IOperation> operations) =>
        operations.Select(op => op switch
            {
                IObjectCreationOperation c => c.Type,
                IInvocationOperation i when i.TargetMethod.ContainingAssembly?.Name == "TorchSharp" => i.Type,
                _ => null,
            })
            .OfType<INamedTypeSymbol>()
            .Where(t => t.TypeKind == TypeKind.Class && t.ContainingAssembly?.Name == "TorchSharp")
            .ToHashSet<INamedTypeSymbol>(SymbolEqualityComparer.Default);

    /// <summary>The method itself and, when it is virtual, its overrides in the TorchSharp classes the code makes.</summary>
    static IEnumerable<IMethodSymbol> PossibleTargets(IMethodSymbol method, HashSet<INamedTypeSymbol> made)
    {
        yield return method;
        if (!(method.IsVirtual || method.IsAbstract || method.IsOverride)) yield break;
        var target = method.OriginalDefinition;
        foreach (var type in made)
        for (var t = type; t is not null; t = t.BaseType)
        foreach (var candidate in t.GetMembers(method.Name).OfType<IMethodSymbol>())
        {
            for (var o = candidate.OverriddenMethod; o is not null; o = o.OverriddenMethod)
                if (SymbolEqualityComparer.Default.Equals(o.OriginalDefinition, target)) { yield return candidate; break; }
        }
    }

    static IEnumerable<string> Problems(IOperation op, bool isMechanism, HashSet<INamedTypeSymbol> made)
    {
        if (op is IConversionOperation { Conversion.IsUserDefined: true } conversion && IsScalar(conversion.Type) && !isMechanism)
            yield return $"converts {conversion.Operand.Type?.Name ?? "a value"} to a temporary TorchSharp.Scalar";

        foreach (var member in TorchSharpMembers(op))
        foreach (var method in PossibleTargets(member.ReducedFrom ?? member, made))
        {
            if (method.ContainingAssembly?.Name != "TorchSharp") continue;
            var reflected = TorchSharpScalarTemporaries.Resolve(method.OriginalDefinition.MetadataToken);
            if (reflected is null) continue;
            if (TorchSharpScalarTemporaries.MakesScalar(reflected))
            {
                if (!isMechanism && op is not IConversionOperation)
                    yield return $"makes a TorchSharp.Scalar ({Describe(method)}) outside {MechanismFile}";
                continue;
            }
            if (TorchSharpScalarTemporaries.Why(method.OriginalDefinition.MetadataToken) is string chain)
                yield return $"calls {Describe(method)}, which makes a temporary Scalar inside TorchSharp ({chain})";
        }
    }

    /// <summary>The TorchSharp methods an operation calls: invocations, operators, constructors, property accessors,
    /// method groups and user-defined conversions.</summary>
    static IEnumerable<IMethodSymbol> TorchSharpMembers(IOperation op)
    {
        switch (op)
        {
            case IInvocationOperation i: yield return i.TargetMethod; break;
            case IObjectCreationOperation { Constructor: { } c }: yield return c; break;
            case IBinaryOperation { OperatorMethod: { } m }: yield return m; break;
            case IUnaryOperation { OperatorMethod: { } m }: yield return m; break;
            case ICompoundAssignmentOperation { OperatorMethod: { } m }: yield return m; break;
            case IIncrementOrDecrementOperation { OperatorMethod: { } m }: yield return m; break;
            case IConversionOperation { OperatorMethod: { } m }: yield return m; break;
            case IMethodReferenceOperation r: yield return r.Method; break;
            case IPropertyReferenceOperation p:
                // `x.P = v` only sets, `x.P += v` gets and sets, anything else gets.
                bool assigned = p.Parent is IAssignmentOperation a && a.Target == p;
                if (!(assigned && p.Parent is ISimpleAssignmentOperation) && p.Property.GetMethod is { } get) yield return get;
                if (assigned && p.Property.SetMethod is { } set) yield return set;
                break;
        }
    }

    static bool IsScalar(ITypeSymbol? t) => t is { Name: "Scalar", ContainingNamespace.Name: "TorchSharp", ContainingAssembly.Name: "TorchSharp" };

    static string Describe(IMethodSymbol m) => m.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat);

    public static string Report(IEnumerable<ScalarFinding> findings) =>
        "A TorchSharp Scalar that nothing holds can be finalized on the finalizer thread while libtorch still reads it " +
        "(a GC started by any other thread; it crashed runs with \"c10 ... toFloat ... Scalar.h\"). " + Remedy +
        "; for TorchSharp members that make their own temporaries use the project's replacement (see docs/design-notes.md).\n" +
        string.Join("\n", findings.Select(f => $"  {f.File}:{f.Line}: {f.Problem}: {f.Code}"));
}
