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

    /// <summary>Rejects an empty marker set, blank markers and a negative window, naming the bad value.</summary>
    public void Validate()
    {
        Markers.Validate("AhaConfig.Markers");
        if (ContextChars < 0) throw new BadInputException($"aha: --context must be >= 0, got {ContextChars}.");
    }
}
