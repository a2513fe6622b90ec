// One Countdown puzzle: reach Target from Nums with + - * /, each number used exactly once.
namespace Grpo.Countdown;

public sealed record CountdownProblem(IReadOnlyList<int> Nums, int Target)
{
    // Records compare lists by reference; problems are values, so compare the numbers themselves.
    public bool Equals(CountdownProblem? other) =>
        other is not null && Target == other.Target && Nums.SequenceEqual(other.Nums);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Target);
        foreach (var n in Nums) hash.Add(n);
        return hash.ToHashCode();
    }

    /// <summary>Numbers as the prompt prints them, e.g. [44, 19, 35] (Python's str of a list).</summary>
    public string NumsText => "[" + string.Join(", ", Nums.Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]";

    public override string ToString() => $"{NumsText} -> {Target}";
}
