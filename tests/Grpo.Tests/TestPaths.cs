// Locates the repository root and the reference data the tests read, which lives inside the repository
// (tests/reference, provenance in its README.md): a clone needs nothing next to it.
namespace Grpo.Tests;

public static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>tests/reference in this repository.</summary>
    public static string ReferenceRoot => Path.Combine(RepoRoot, "tests", "reference");

    /// <summary>A file or folder under tests/reference; fails naming the missing path.</summary>
    public static string Reference(params string[] parts)
    {
        var path = Path.Combine([ReferenceRoot, .. parts]);
        if (!File.Exists(path) && !Directory.Exists(path))
            throw new FileNotFoundException($"Reference data missing: {path} (tests/reference is part of the repository; see tests/reference/README.md)", path);
        return path;
    }

    static string FindRepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Grpo.Lib.csproj"))) return d.FullName;
        throw new DirectoryNotFoundException("Grpo.Lib.csproj not found above " + AppContext.BaseDirectory);
    }
}
