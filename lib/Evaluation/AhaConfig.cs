// Settings for aha-moment extraction: which markers count as "the model re-thinks" and how much text to keep around a hit.
using Grpo.Countdown;

namespace Grpo.Evaluation;

/// <param name="Markers">Re-thinking phrases and the model's verdict words (a model folder's reasoning_markers.json;
/// <see cref="RunCheckpoints.Markers"/> finds a run's).</param>
/// <param name="ContextChars">Characters kept on each side of a hit in <see cref="AhaHit.Context"/>.</param>
public sealed record AhaConfig(ReasoningMarkers Markers, int ContextChars = 60)
{
    /// <summary>The default phrases (<see cref="ReasoningMarkers.Default"/>), no verdict words.</summary>
    public static readonly AhaConfig Default = new(ReasoningMarkers.Default);

    /// <summary>The widest context kept around a hit: a person reads it, and a whole completion fits many times over.</summary>
    public const int MaxContextChars = 100_000;

    /// <summary>Rejects an empty marker set, blank markers and a window out of range, naming the bad value.</summary>
    public void Validate()
    {
        try { Markers.Validate("aha markers (--phrase, --markers)"); }
        catch (ArgumentException e) { throw new BadInputException(e.Message, e); }
        if (ContextChars is < 0 or > MaxContextChars)
            throw new BadInputException($"aha: --context must be 0 to {MaxContextChars:N0} characters, got {ContextChars}.");
    }
}
