// Deterministic train/test split: a seeded shuffle, the first testSize problems are the test set; train keeps no copy
// of a test problem (generated problems repeat now and then, and a test problem must never be trained on).
namespace Grpo.Countdown;

public static class DatasetSplit
{
    public static (IReadOnlyList<CountdownProblem> Train, IReadOnlyList<CountdownProblem> Test) Split(
        IReadOnlyList<CountdownProblem> all, int testSize, int seed)
    {
        if (testSize < 0 || testSize > all.Count)
            throw new ArgumentOutOfRangeException(nameof(testSize), testSize, $"Test size must be between 0 and the {all.Count} problems given.");
        var order = Enumerable.Range(0, all.Count).ToArray();
        new Random(seed).Shuffle(order);
        var test = order.Take(testSize).Select(i => all[i]).ToList();
        var held = test.Select(CountdownData.Key).ToHashSet();
        var train = order.Skip(testSize).Select(i => all[i]).Where(p => !held.Contains(CountdownData.Key(p))).ToList();
        return (train, test);
    }
}
