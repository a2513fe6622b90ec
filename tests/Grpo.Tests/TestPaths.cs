// Locates the repository root and the shared reference data (../shared/reference next to the repo, or shared/ inside it).
namespace Grpo.Tests;

public static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string SharedReference { get; } = FindSharedReference();

    static string FindRepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Grpo.Lib.csproj"))) return d.FullName;
        throw new DirectoryNotFoundException("Grpo.Lib.csproj not found above " + AppContext.BaseDirectory);
    }

    static string FindSharedReference()
    {
        foreach (var candidate in new[] { Path.Combine(RepoRoot, "..", "shared", "reference"), Path.Combine(RepoRoot, "shared", "reference") })
            if (Directory.Exists(candidate)) return Path.GetFullPath(candidate);
        for (var d = new DirectoryInfo(RepoRoot); d is not null; d = d.Parent)
            if (Directory.Exists(Path.Combine(d.FullName, "shared", "reference"))) return Path.Combine(d.FullName, "shared", "reference");
        throw new DirectoryNotFoundException("shared/reference not found near " + RepoRoot);
    }
}
