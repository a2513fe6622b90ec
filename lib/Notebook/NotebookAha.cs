// Notebook 05's first cell as a single call: the aha phrases and recoveries of a run, written to aha.jsonl.
using Grpo.Evaluation;
using Grpo.Training;

namespace Grpo.Notebook;

public static class NotebookAha
{
    /// <summary>Scans the run's completion samples and every eval file with its base model's markers, writes aha.jsonl
    /// and aha_counts.json, and returns the hits and counts.</summary>
    public static AhaResult Extract(RunFolder run, int contextChars)
    {
        var result = AhaExtractor.Extract(AhaExtractor.RunDocuments(run), new AhaConfig(RunCheckpoints.Markers(run), contextChars));
        AhaExtractor.Write(result, run.AhaPath);
        return result;
    }
}
