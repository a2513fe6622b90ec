// Settings for aha-moment extraction: which phrases count as "the model re-thinks" and how much text to keep around a hit.
namespace Grpo.Evaluation;

/// <param name="Phrases">Phrases searched for; Latin ones match case-insensitively and as whole words.</param>
/// <param name="ContextChars">Characters kept on each side of a hit in <see cref="AhaHit.Context"/>.</param>
public sealed record AhaConfig(IReadOnlyList<string> Phrases, int ContextChars = 60)
{
    /// <summary>The phrases of the R1-Zero Countdown tutorials (Chinese prompt) plus their English counterparts.
    /// Longer phrases win where phrases overlap, so 突然意识到 counts once, not also as 突然 and 意识到.</summary>
    public static readonly AhaConfig Default = new(
    [
        "突然意识到", "突然想到", "突然发现", "突然", "意识到", "发现", "重新", "等等", "检查",
        "wait", "aha", "let me re-check", "let me check", "actually", "hmm",
    ]);

    /// <summary>Rejects an empty list, blank phrases and a negative window, naming the bad value.</summary>
    public void Validate()
    {
        if (Phrases.Count == 0) throw new BadInputException("aha: the phrase list (--phrase) is empty: give at least one phrase.");
        foreach (var p in Phrases)
            if (string.IsNullOrWhiteSpace(p)) throw new BadInputException($"aha: --phrase '{p}' is blank.");
        if (ContextChars < 0) throw new BadInputException($"aha: --context must be >= 0, got {ContextChars}.");
    }
}
