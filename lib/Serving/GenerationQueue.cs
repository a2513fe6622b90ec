// The one thread that generates: requests queue up, and those that arrive while the loop gathers (BatchWindow after the
// previous one) are run together, so a trainer's concurrent one-prompt requests become one batch as in a continuous-
// batching engine. Which rows share a generator call changes no token (each row draws from its own stream).
using System.Collections.Concurrent;

namespace Grpo.Serving;

internal sealed class GenerationQueue<TJob> : IDisposable where TJob : GenerationQueue<TJob>.IJob
{
    public interface IJob
    {
        int Rows { get; }
        void Fail(Exception e);
    }

    readonly BlockingCollection<TJob> jobs = new();
    readonly Thread thread;
    readonly Action<IReadOnlyList<TJob>> run;
    readonly TimeSpan window;
    readonly int maxRows;

    /// <param name="run">Generates a gathered list of jobs (and completes each); an exception fails all of them.</param>
    public GenerationQueue(Action<IReadOnlyList<TJob>> run, TimeSpan window, int maxRows)
    {
        this.run = run;
        this.window = window;
        this.maxRows = maxRows;
        thread = new Thread(Loop) { IsBackground = true, Name = "grpo-serve generation" };
        thread.Start();
    }

    public void Add(TJob job) => jobs.Add(job);

    void Loop()
    {
        foreach (var first in jobs.GetConsumingEnumerable())
        {
            var batch = new List<TJob> { first };
            int rows = first.Rows;
            while (rows < maxRows && jobs.TryTake(out var next, window))
            {
                batch.Add(next);
                rows += next.Rows;
            }
            try { run(batch); }
            catch (Exception e) { foreach (var job in batch) job.Fail(e); }
        }
    }

    public void Dispose()
    {
        jobs.CompleteAdding();
        thread.Join(TimeSpan.FromSeconds(30));
        jobs.Dispose();
    }
}
